@R2 @SIT @positive @s1sp
Feature: The one-off S1SP data update (requirement 2)
  SECMP0107 requirement 2 (optional): a DCC-run update of the S1SP databases replaces every
  incorrect Network Operator certificate with the registered Network Operator's published one,
  skips what it cannot resolve, reports counts per S1SP and device type, and can be run again
  or resumed — while the S1SPs keep serving on the same databases.

  FIA section: 5.2 SIT — Requirement 2 data update

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP
    And an estate whose S1SP databases hold wrong Network Operator certificates

  Scenario: every mismatched device is corrected and a second run changes nothing
    When the data update runs
    Then no device holds a Network Operator certificate other than the registered one
    And running it again changes nothing

  Scenario Outline: after the update the registered Network Operator is the Known Remote Party on the <device> of the <s1sp> S1SP
    Given a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When the data update runs
    Then the device holds the registered Network Operator's certificates
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
