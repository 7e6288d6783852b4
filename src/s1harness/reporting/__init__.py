"""Reports from allure-results: the Allure HTML report and the sign-off summary (a requirement
× S1SP × device-type matrix with links to the evidence)."""

from s1harness.reporting.allure_html import HtmlReport, ReportToolError, tools_folder
from s1harness.reporting.build import Reports, build_reports
from s1harness.reporting.results import ResultSet, ScenarioResult, read_results
from s1harness.reporting.signoff import Signoff, build_signoff

__all__ = [
    "HtmlReport",
    "ReportToolError",
    "Reports",
    "ResultSet",
    "ScenarioResult",
    "Signoff",
    "build_reports",
    "build_signoff",
    "read_results",
    "tools_folder",
]
