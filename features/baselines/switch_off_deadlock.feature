@baseline @SIT @negative @dsp @s1sp
Feature: With the MP107 switch off, the wrong Network Operator certificate cannot be replaced
  The deadlock SECMP0107 fixes: the wrong Network Operator owns the certificate on the device
  but is not registered for it, so the DSP's registration data check refuses it; the registered
  Network Operator passes both registration data checks, but the S1SP's owner check refuses it
  because its certificate is not on the device.

  FIA section: 5.2 SIT — baseline: MP107 switch off (the deadlock)

  Scenario Outline: deadlock on the <device> of the <s1sp> S1SP
    Given the MP107 switch is off at the DSP and at every S1SP
    And a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When the wrong Network Operator replaces the Network Operator certificates with the registered Network Operator's
    Then the DSP refuses the request with E4 at SRPD 6.1(f)
    And nothing has changed
    When the registered Network Operator replaces the Network Operator certificates with its own
    Then the DSP accepts the request after the registration data check
    And the <s1sp> S1SP accepts the request after the registration data check
    And the <s1sp> S1SP refuses the request with S1VE64 at S1SR 4.2
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
