@baseline @SIT @positive @dsp @device
Feature: A SMETS2 device needs no change
  On SMETS2 the DSP applies no registration data check to a critical service request, so the
  Network Operator whose certificate is on the device replaces it with the registered Network
  Operator's; the device executes the command and signs its response.

  FIA section: 5.2 SIT — baseline: SMETS2 needs no change

  Scenario Outline: the wrong Network Operator corrects a SMETS2 ESME with the MP107 switch <switch>
    Given the MP107 switch is <switch> at the DSP and at every S1SP
    And a SMETS2 ESME that holds the wrong Network Operator's certificates
    When the wrong Network Operator replaces the Network Operator certificates with the registered Network Operator's
    Then the device answers, signed with its own certificate, that every certificate was replaced
    And the device holds the registered Network Operator's certificates
    When the wrong Network Operator replaces the Network Operator certificates with its own
    Then the device does not act on it
    And after a while the DSP answers E21

    Examples:
      | switch |
      | off    |
      | on     |
