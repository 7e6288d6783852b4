@R1 @SIT @positive @s1sp @device
Feature: Device alerts reach the Network Operator whose certificate is on the device
  An S1SP sends a SMETS1 device's alerts, its power outage alerts, to the owner of the
  certificate in the device's Network Operator slot. Before the fix they reach the wrong
  Network Operator; after it, the registered one.

  FIA section: 5.2 SIT — alert routing before and after the fix

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP

  Scenario Outline: outage alerts of the <device> of the <s1sp> S1SP before and after the handover
    Given a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When the device loses supply for 5 minutes
    Then the wrong Network Operator receives the power outage alerts
    And the registered Network Operator receives no alert
    When the wrong Network Operator replaces the Network Operator certificates with the registered Network Operator's
    Then the device holds the registered Network Operator's certificates
    When the device loses supply for 2 minutes
    Then the registered Network Operator receives the power outage alerts
    And the wrong Network Operator receives no alert

    Examples:
      | s1sp | device |
      | IOC  | ESME   |
      | IOC  | GPF    |
      | MOC  | ESME   |
      | MOC  | GPF    |
      | FOC  | ESME   |
      | FOC  | GPF    |
