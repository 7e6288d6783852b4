@MP058 @SIT @dsp
Feature: The optional SECMP0058 check of a Network Operator certificate against the MPAN
  With the check on, a Supplier placing Network Operator certificates on an ESME whose MPAN is
  known must place those of the MPAN's distributor; otherwise the DSP refuses the request with
  the harness-defined code E061510 (Certificate Party / MPAN mismatch, DUIS overlay SECMP0058).
  With the check off, the DSP does not look.

  FIA section: 5.2 SIT — SECMP0058 MPAN check (interaction with SECMP0107)

  @negative
  Scenario Outline: with the check on, a supplier cannot hand the <device> of the <s1sp> S1SP to the wrong Network Operator
    Given the SECMP0058 check is on at the DSP
    And a SMETS1 <device> served by the <s1sp> S1SP
    When the supplier places the wrong Network Operator's certificates on it
    Then the DSP refuses the request with E061510 at SECMP0058
    And nothing has changed

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | MOC  | ESME   |
      | FOC  | ESME   |

  @positive
  Scenario Outline: a supplier hands the <device> of the <s1sp> S1SP to a Network Operator with the check <check>
    Given the SECMP0058 check is <check> at the DSP
    And a SMETS1 <device> served by the <s1sp> S1SP
    When the supplier places the <whose> Network Operator's certificates on it
    Then the request is accepted
    And the device holds the <whose> Network Operator's certificates

    Examples:
      | s1sp | device | check | whose      |
      | IOC  | ESME   | on    | registered |
      | MOC  | ESME   | on    | registered |
      | FOC  | ESME   | on    | registered |
      | IOC  | ESME   | off   | wrong      |
      | MOC  | ESME   | off   | wrong      |
      | FOC  | ESME   | off   | wrong      |
