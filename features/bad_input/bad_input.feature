@R1 @SIT @negative @dsp
Feature: Bad input is refused and changes nothing
  A forged signature, a replayed request, a request for a device not in the inventory and
  malformed XML are each refused by the DSP with their own code, and no store changes.

  FIA section: 5.2 SIT — negative: bad input at the DSP

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP
    And a SMETS1 ESME served by the IOC S1SP that holds the wrong Network Operator's certificates

  Scenario: a forged signature
    When the wrong Network Operator sends a request whose signature does not match its content
    Then the DSP refuses the request with E41 at DUIS XML signature
    And nothing has changed

  Scenario: a replayed request
    Given the wrong Network Operator has replaced the certificates with the registered Network Operator's
    When the same request is sent again
    Then the DSP refuses the request with E42 at DUIS RequestID counter
    And nothing has changed

  Scenario: a device not in the inventory
    When the registered Network Operator sends SRV 6.15.1 for a device not in the inventory
    Then the DSP refuses the request with E19 at DUIS device checks
    And nothing has changed

  Scenario: malformed XML
    When the registered Network Operator sends a request that is not well-formed XML
    Then the DSP refuses the request with E40 at DUIS XSD
    And nothing has changed
