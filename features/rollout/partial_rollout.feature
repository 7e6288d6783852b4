@R1 @UIT @negative @dsp @s1sp
Feature: A partial S1SP rollout
  The DSP has one MP107 switch for all S1SPs, but each S1SP ships its own change. While one S1SP
  is not yet updated, the DSP lets a Network Operator's SRV 6.15.1 through and that S1SP refuses
  it with its standard registration data alert (S1VE4); the S1SPs already updated accept it.

  FIA section: 5.2 UIT — partial S1SP rollout

  Scenario Outline: the <s1sp> S1SP is not yet updated (<device>)
    Given the MP107 switch is on at the DSP and at every S1SP but the <s1sp> S1SP
    And a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When the wrong Network Operator replaces the Network Operator certificates with the registered Network Operator's
    Then the DSP accepts the request without the registration data check
    And the <s1sp> S1SP refuses the request with S1VE4 at SRPD 16.1
    And nothing has changed
    And the same request is accepted on the devices of the other S1SPs

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |
