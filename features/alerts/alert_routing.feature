@R1 @SIT @positive @s1sp @device
Feature: Device alerts reach the Network Operator whose certificate is on the device
  An S1SP sends a SMETS1 device's alerts to the party whose certificate is in the slot for the
  alert's recipient role — Network Operator alerts, such as power outages, to the Network
  Operator slot's owner. Before the fix they reach the wrong Network Operator; after it, the
  registered one.

  FIA section: 5.2 SIT — alert routing before and after the fix

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP

  Scenario Outline: outage alerts of a <device> of the <s1sp> S1SP before and after the handover
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
