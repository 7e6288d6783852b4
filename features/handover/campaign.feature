@R1 @SIT @positive @dsp @s1sp
Feature: The Requirement 1 correction campaign
  The FIA's alternative to the data update: Requirement 1 used device by device. Each wrong
  Network Operator sends SRV 6.15.1 for every SMETS1 device holding its certificates where
  another Network Operator is registered, a few at a time, through the DSP, the S1SPs and the
  devices; every device ends holding the registered Network Operator's certificates.
  (`s1harness campaign` runs the same campaign on a whole estate folder.)

  FIA section: 5.2 SIT — Requirement 1 used device by device

  Scenario: the wrong Network Operators correct every mismatched SMETS1 device
    Given the MP107 switch is on at the DSP and at every S1SP
    When the wrong Network Operators correct every mismatched SMETS1 device, 4 at a time
    Then every mismatched device is corrected with a SMETS1 response
    And each of them holds the registered Network Operator's certificates
