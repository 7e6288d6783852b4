@R1 @SIT @negative @s1sp
Feature: An S1SP refuses a countersignature the DSP did not make, a signature by a key not in the slot, and a request sent again
  The S1SP's own checks that no DUIS rule of the DSP stands in front of: the DSP's
  countersignature (S1VE1), the Authorising Remote Party Signature over the pre-command, checked
  with the Notified Critical certificate of the sender's role (S1VE2), and the Execution
  Counter (S1VE3). Each refuses on its own, and the refusal changes nothing — the device keeps
  the Network Operator it had.

  FIA section: 5.2 SIT — negative: the S1SP's security checks

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP

  Scenario Outline: a countersignature the DSP did not make on the <device> of the <s1sp> S1SP
    Given a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When a party other than the DSP countersigns the wrong Network Operator's request to the <s1sp> S1SP
    Then the <s1sp> S1SP refuses the request with S1VE1 at S1SP countersignature
    And nothing has changed
    And the device still holds the wrong Network Operator's certificates

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |

  Scenario Outline: a pre-command signed by a key not in the slot on the <device> of the <s1sp> S1SP
    Given a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When the wrong Network Operator signs its pre-command with a key that is not in the slot
    Then the <s1sp> S1SP refuses the request with S1VE2 at S1SP authorising signature
    And nothing has changed
    And the device still holds the wrong Network Operator's certificates

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |

  Scenario Outline: a countersigned request sent again to the <s1sp> S1SP for the <device>
    Given a SMETS1 <device> served by the <s1sp> S1SP
    When the registered Network Operator replaces the Network Operator certificates with its own
    Then the request is accepted
    When the DSP's countersigned request for it reaches the <s1sp> S1SP again
    Then the <s1sp> S1SP refuses the request with S1VE3 at S1SP execution counter
    And nothing has changed
    And the device holds the registered Network Operator's certificates

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |
