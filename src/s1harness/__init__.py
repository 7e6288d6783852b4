"""s1harness: a device-emulator and protocol test harness for GB smart metering.

Emulated SMETS1 and SMETS2 devices with real SMKI certificate handling sit behind an emulated
DCC Data Service Provider and three SMETS1 Service Providers; Gherkin suites encode the test
scenarios of modification SECMP0107 "SMETS1 Validation of SRV 6.15.1".
"""

__version__ = "0.1.0"
