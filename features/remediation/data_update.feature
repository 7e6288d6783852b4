@R2 @SIT @positive @s1sp @pending
Feature: The one-off S1SP data update (requirement 2)
  SECMP0107 requirement 2 (optional): a DCC-run update of the S1SP databases replaces every
  incorrect Network Operator certificate with the registered Network Operator's, skips what it
  cannot resolve, reports counts per S1SP and cohort, and can be run again or resumed.

  FIA section: 5.2 SIT — Requirement 2 data update

  Scenario: every mismatched device is corrected and a second run changes nothing
    Given an estate whose S1SP databases hold wrong Network Operator certificates
    When the data update runs
    Then no device holds a Network Operator certificate other than the registered one
    And running it again changes nothing
