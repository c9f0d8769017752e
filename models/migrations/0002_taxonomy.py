"""Load the sector's taxonomy: skill levels, skill areas with their sub-areas, and roles.

The data is written out here rather than imported, so that this migration gives the
same result whatever later code does. Admins edit the taxonomy in the database afterwards.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

LEVELS = [
    (0, "None", "No knowledge or experience of this area yet."),
    (1, "Awareness", "Knows what the area covers and why it matters, and where to look for help."),
    (2, "Working", "Applies the area to routine work with some guidance."),
    (3, "Practitioner", "Works independently in the area, including on unfamiliar problems."),
    (4, "Expert", "Leads and teaches the area, and sets the standard others follow."),
]

# (slug, name, description, focus, parent slug): the focus completes each level's descriptor.
SKILL_AREAS = [
    ("social-care-practice", "Children's social care practice and legislation",
     "How children's social care works, from referral to leaving care, and the law behind it, "
     "for people who work with its data.",
     "the social care journey, thresholds and the Children Act duties", None),
    ("statutory-returns", "Statutory returns and national collections",
     "Preparing, validating and submitting the Department for Education's children's "
     "services collections.",
     "the national collections, their guidance and validation rules", None),
    ("cin-census", "Children in Need census",
     "The annual CIN census: referrals, assessments, Section 47 enquiries and plans.",
     "the CIN census specification and its validation errors", "statutory-returns"),
    ("ssda903", "SSDA903 children looked after return",
     "The children looked after return: episodes, legal statuses, placements and care leavers.",
     "SSDA903 episodes, reasons for change and care leaver records", "statutory-returns"),
    ("workforce-census", "Children's social work workforce census",
     "The annual workforce census of social workers, agency staff, vacancies and caseloads.",
     "the workforce census and the HR and case data behind it", "statutory-returns"),
    ("inspection-data", "Inspection and regulatory data",
     "Data for Ofsted inspections, above all the ILACS Annex A lists.",
     "Annex A lists and other inspection data requests", None),
    ("case-management-systems", "Case management systems and source data",
     "The systems social workers record in and the reporting tables underneath them.",
     "case management system data models and reporting tables", None),
    ("liquidlogic", "Liquidlogic", "Liquidlogic's children's system and its reporting database.",
     "Liquidlogic's forms, workflow steps and reporting tables", "case-management-systems"),
    ("mosaic", "Mosaic", "Mosaic's workflow and its reporting data.",
     "Mosaic's workflow, steps and reporting views", "case-management-systems"),
    ("eclipse", "Eclipse", "Eclipse and its reporting data.",
     "Eclipse's records and reporting data", "case-management-systems"),
    ("data-quality", "Data quality and validation",
     "Finding, fixing and preventing errors in recorded data.",
     "validation rules, exception reports and data quality routines", None),
    ("performance-management", "Performance management and KPIs",
     "Measures, targets and the reports that help services improve.",
     "defining, reporting and interpreting performance measures", None),
    ("benchmarking", "Benchmarking and published statistics",
     "Comparing with others through LAIT, statistical neighbours and national statistics.",
     "published statistics, LAIT and statistical neighbour comparisons", None),
    ("sql-data-engineering", "SQL and data engineering",
     "Querying, modelling and moving data reliably.",
     "SQL queries, data models and scheduled data pipelines", None),
    ("bi-visualisation", "BI and data visualisation",
     "Dashboards and charts that people can read and trust.",
     "dashboards, chart design and BI tools", None),
    ("power-bi", "Power BI", "Power BI models, DAX measures, Power Query and report design.",
     "Power BI data models, DAX and Power Query", "bi-visualisation"),
    ("spreadsheet-modelling", "Spreadsheet modelling",
     "Building spreadsheets that others can check, reuse and maintain.",
     "structured spreadsheet models and their checks", None),
    ("programming-reproducible-analysis", "Programming and reproducible analysis",
     "Analysis in code that someone else can rerun and get the same answer.",
     "analysis in code, version control and reproducible pipelines", None),
    ("python", "Python", "Python for analysis: pandas, notebooks, packages and tests.",
     "Python for data analysis and automation", "programming-reproducible-analysis"),
    ("r", "R", "R for analysis: the tidyverse, R Markdown and Quarto.",
     "R for data analysis and reporting", "programming-reproducible-analysis"),
    ("git", "Git", "Version control with Git and shared repositories.",
     "version control with Git and code review", "programming-reproducible-analysis"),
    ("statistics-methods", "Statistics and analytical methods",
     "Cohorts, episodes, rates, forecasting and honest handling of small numbers.",
     "cohort and episode analysis, forecasting and small numbers", None),
    ("information-governance", "Information governance and data protection",
     "UK GDPR, DPIAs, data-sharing agreements and lawful bases.",
     "data protection law, DPIAs and data-sharing agreements", None),
    ("data-ethics-ai", "Data ethics, AI and automation",
     "Using algorithms, automation and AI fairly and transparently.",
     "ethical review of data use, automation and AI", None),
    ("data-linkage-standards", "Data linkage and standards",
     "Matching records across systems and agreeing common definitions.",
     "record linkage, identifiers and data standards", None),
    ("insight-communication", "Insight and communication",
     "Turning analysis into a story that leaders and practitioners act on.",
     "writing, presenting and explaining analysis to non-specialists", None),
    ("finance-commissioning-sufficiency", "Finance, commissioning and sufficiency",
     "Placement costs, commissioning intelligence and sufficiency duty analysis.",
     "placement costs, demand and sufficiency analysis", None),
    ("data-leadership", "Data leadership",
     "Leading data teams, strategy and a culture that values evidence.",
     "data strategy, team leadership and data culture", None),
]

LEVEL_TEMPLATES = {
    0: "Has not yet worked with {focus}.",
    1: "Knows what {focus} involves and where to find guidance.",
    2: "Handles routine work with {focus}, asking for help on harder cases.",
    3: "Works independently with {focus} and resolves unfamiliar problems.",
    4: "Leads on {focus}, advises others and shapes local or national practice.",
}

ROLES = [
    ("la-data", "Local authority data professional"),
    ("la-digital", "Local authority digital professional"),
    ("la-social-care", "Local authority children's social care professional"),
    ("la-leadership", "Local authority leadership"),
    ("cg-data", "Central government data professional"),
    ("cg-digital", "Central government digital professional"),
    ("cg-social-care", "Central government social care professional"),
    ("cg-leadership", "Central government leadership"),
    ("other-public-sector", "Other public sector professional role"),
    ("supplier-partner", "Data and digital supplier or partner"),
    ("consultant", "Data and digital consultant"),
    ("other-private-sector", "Other private sector professional role"),
    ("care-experienced", "Person with current or previous social care involvement as a service user"),
    ("no-care-experience", "Person without social care involvement as a service user"),
]


async def load_taxonomy(apps, schema_editor) -> None:
    skill_level = apps.get_model("models", "SkillLevel")
    skill_area = apps.get_model("models", "SkillArea")
    role = apps.get_model("models", "Role")

    for value, name, description in LEVELS:
        await skill_level.create(value=value, name=name, description=description)

    created = {}
    for position, (slug, name, description, focus, parent_slug) in enumerate(SKILL_AREAS):
        descriptors = {str(level): text.format(focus=focus) for level, text in LEVEL_TEMPLATES.items()}
        created[slug] = await skill_area.create(
            slug=slug,
            name=name,
            description=description,
            parent_id=created[parent_slug].id if parent_slug else None,
            level_descriptors=descriptors,
            position=position,
        )

    for position, (slug, name) in enumerate(ROLES):
        await role.create(slug=slug, name=name, position=position)


async def unload_taxonomy(apps, schema_editor) -> None:
    await apps.get_model("models", "Role").all().delete()
    await apps.get_model("models", "SkillArea").filter(parent_id__isnull=False).delete()
    await apps.get_model("models", "SkillArea").all().delete()
    await apps.get_model("models", "SkillLevel").all().delete()


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(load_taxonomy, unload_taxonomy)]
