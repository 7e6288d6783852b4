@R1 @SIT @negative @dsp
Feature: Suppliers and every other role are still refused SRV 6.15.1 for the Network Operator certificates
  SECMP0107 lifts the registration data check only for a Network Operator sending SRV 6.15.1
  for the Network Operator certificates. A Supplier, or any other role, is refused by the
  checks DUIS already has — the role and SRV combination (E2, E061501) or the registration data
  (E4) — with the MP107 switch on.

  FIA section: 5.2 SIT — negative Supplier-role SRV 6.15.1

  Background:
    Given the MP107 switch is on at the DSP and at every S1SP

  Scenario Outline: Suppliers and other roles are refused on the <device> of the <s1sp> S1SP
    Given a SMETS1 <device> served by the <s1sp> S1SP that holds the wrong Network Operator's certificates
    When each of these parties sends SRV 6.15.1 for the certificates named:
      | sender                             | certificates     | code    | check                 |
      | unregistered supplier              | Supplier         | E4      | SRPD 6.1(f)           |
      | registered supplier                | Network Operator | E061501 | DUIS credentials body |
      | unregistered supplier              | Network Operator | E061501 | DUIS credentials body |
      | Network Operator of the other fuel | Network Operator | E061501 | DUIS credentials body |
      | export supplier                    | Network Operator | E2      | DUIS access matrix    |
      | other user                         | Network Operator | E2      | DUIS access matrix    |
      | registered supplier agent          | Network Operator | E2      | DUIS access matrix    |
    Then each request is refused with its code at its check
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
