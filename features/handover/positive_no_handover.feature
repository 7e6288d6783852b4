@R1 @SIT @positive @dsp @s1sp @device
Feature: A Network Operator corrects a wrong Network Operator certificate on a SMETS1 device
  SECMP0107 requirement 1: with the MP107 switch on, a Network Operator's SRV 6.15.1 for the
  Network Operator certificates of a SMETS1 device is not refused by the registration data
  checks of the DSP (SRPD 6.1(f)) or of the S1SP (SRPD 16.1), so the Network Operator whose
  certificate is on the device can put the registered Network Operator's certificates there.
  Afterwards the registered Network Operator is the Known Remote Party.

  FIA section: 5.2 SIT — positive Network Operator handover

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP

  Scenario Outline: the wrong Network Operator hands the <device> of the <s1sp> S1SP to the registered one
    Given a SMETS1 <device> served by the <s1sp> S1SP
    And the supplier has placed the wrong Network Operator's certificates on it
    When the wrong Network Operator replaces the Network Operator certificates with the registered Network Operator's
    Then the DSP accepts the request without the registration data check
    And the <s1sp> S1SP accepts the request without the registration data check
    And the <s1sp> S1SP accepts the request at S1SR 4.2 and executes it
    And the device holds the registered Network Operator's certificates
    And the registered Network Operator is told its certificates were placed

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |

  Scenario Outline: after the handover the registered Network Operator is the Known Remote Party on the <device> of the <s1sp> S1SP
    Given a SMETS1 <device> served by the <s1sp> S1SP
    And the supplier has placed the wrong Network Operator's certificates on it
    And the wrong Network Operator has replaced them with the registered Network Operator's
    When the registered Network Operator replaces the Network Operator certificates with its own
    Then the request is accepted
    When the wrong Network Operator replaces the Network Operator certificates with its own
    Then the <s1sp> S1SP refuses the request with S1VE64 at S1SR 4.2
    And nothing has changed

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |
