"""Demo content for seeding the forum: organisations, members and threads.

Every person, council, company and charity here is fictional. The Department
for Education is real, but its team below is invented. Child identifiers such
as ``CHILD-0001`` and all dates in examples are synthetic.

Bodies are Markdown. ``days_ago`` is how many days before seeding a thread was
posted; replies have no date of their own.
"""

ORGANISATIONS: list[dict] = [
    {
        "slug": "northmoor-bc",
        "name": "Northmoor Borough Council",
        "kind": "local_authority",
        "email_domains": ["northmoor.gov.uk"],
        "approved": True,
    },
    {
        "slug": "eastwick-cc",
        "name": "Eastwick County Council",
        "kind": "local_authority",
        "email_domains": ["eastwick.gov.uk"],
        "approved": True,
    },
    {
        "slug": "harrowfield-mbc",
        "name": "Harrowfield Metropolitan Borough Council",
        "kind": "local_authority",
        "email_domains": ["harrowfield.gov.uk"],
        "approved": True,
    },
    {
        "slug": "saltmarsh-cc",
        "name": "Saltmarsh City Council",
        "kind": "local_authority",
        "email_domains": ["saltmarsh.gov.uk"],
        "approved": True,
    },
    {
        # Left unapproved so the demo shows an organisation awaiting review.
        "slug": "kestrel-vale",
        "name": "Kestrel Vale Council",
        "kind": "local_authority",
        "email_domains": ["kestrelvale.gov.uk"],
        "approved": False,
    },
    {
        "slug": "dfe-returns-insight",
        "name": "Department for Education — Children's Services Returns Insight Team",
        "kind": "central_government",
        "email_domains": ["dfe-returns-insight.example.org"],
        "approved": True,
    },
    {
        "slug": "tollbridge-icb",
        "name": "Tollbridge and District Integrated Care Board",
        "kind": "other_public",
        "email_domains": ["tollbridge-icb.example.org"],
        "approved": True,
    },
    {
        "slug": "brightfield-systems",
        "name": "Brightfield Case Systems Ltd",
        "kind": "supplier",
        "email_domains": ["brightfield-systems.example.org"],
        "approved": True,
    },
    {
        "slug": "ledger-lane",
        "name": "Ledger Lane Analytics",
        "kind": "consultancy",
        "email_domains": ["ledgerlane.example.org"],
        "approved": True,
    },
    {
        "slug": "open-door-network",
        "name": "Open Door Care Leavers' Network",
        "kind": "charity",
        "email_domains": ["opendoor-network.example.org"],
        "approved": True,
    },
]

MEMBERS: list[dict] = [
    {
        "handle": "admin.joe",
        "display_name": "Joe Marchetti",
        "email": "joe.marchetti@northmoor.gov.uk",
        "organisation": "northmoor-bc",
        "role": "la-leadership",
        "permission": "admin",
        "bio": "Head of business intelligence at Northmoor. Started out building "
        "the SSDA903 return in Access a long time ago. Runs this forum in "
        "spare hours and drinks too much tea.",
    },
    {
        "handle": "mod.amira",
        "display_name": "Amira Haddad",
        "email": "amira.haddad@eastwick.gov.uk",
        "organisation": "eastwick-cc",
        "role": "la-data",
        "permission": "moderator",
        "bio": "Performance and intelligence manager for children's services at "
        "Eastwick (Mosaic shop). Interested in data quality that practitioners "
        "actually find useful.",
    },
    {
        "handle": "priya.n",
        "display_name": "Priya Natarajan",
        "email": "priya.natarajan@northmoor.gov.uk",
        "organisation": "northmoor-bc",
        "role": "la-data",
        "permission": "member",
        "bio": "BI developer in Northmoor's children's performance team. Power BI, "
        "DAX and SQL Server every day, Liquidlogic underneath it all.",
    },
    {
        "handle": "mei.chen",
        "display_name": "Mei Chen",
        "email": "mei.chen@northmoor.gov.uk",
        "organisation": "northmoor-bc",
        "role": "la-digital",
        "permission": "mentor",
        "bio": "Senior data engineer. Moved our statutory returns from spreadsheets "
        "to version-controlled Python and SQL. Happy to mentor on pipelines, "
        "testing and Git.",
    },
    {
        "handle": "tom.ashworth",
        "display_name": "Tom Ashworth",
        "email": "tom.ashworth@harrowfield.gov.uk",
        "organisation": "harrowfield-mbc",
        "role": "la-digital",
        "permission": "member",
        "bio": "Data engineer at Harrowfield, looking after the Mosaic replica and "
        "the warehouse that feeds our dashboards.",
    },
    {
        "handle": "sian.pryce",
        "display_name": "Siân Pryce",
        "email": "sian.pryce@saltmarsh.gov.uk",
        "organisation": "saltmarsh-cc",
        "role": "la-leadership",
        "permission": "mentor",
        "bio": "Head of performance and improvement for children's services. Former "
        "returns officer. Mentoring on leading small teams, inspection "
        "preparation and talking to senior leaders.",
    },
    {
        "handle": "helen.moss",
        "display_name": "Helen Moss",
        "email": "helen.moss@kestrelvale.gov.uk",
        "organisation": "kestrel-vale",
        "role": "la-data",
        "permission": "member",
        "bio": "Information and returns officer in a small unitary. CIN census, "
        "903 and workforce census are mine, plus whatever else lands on "
        "the desk.",
    },
    {
        "handle": "ruth.okonjo",
        "display_name": "Ruth Okonjo",
        "email": "ruth.okonjo@eastwick.gov.uk",
        "organisation": "eastwick-cc",
        "role": "la-digital",
        "permission": "member",
        "bio": "Information governance lead covering children's and adults' "
        "services. DPIAs, data-sharing agreements and subject access requests.",
    },
    {
        "handle": "dan.fairweather",
        "display_name": "Dan Fairweather",
        "email": "dan.fairweather@harrowfield.gov.uk",
        "organisation": "harrowfield-mbc",
        "role": "la-social-care",
        "permission": "member",
        "bio": "Social work team manager in a locality assessment team. Here to "
        "understand what our reports mean and to tell analysts what the "
        "screens look like from the practice side.",
    },
    {
        "handle": "nadia.sorensen",
        "display_name": "Nadia Sorensen",
        "email": "nadia.sorensen@eastwick.gov.uk",
        "organisation": "eastwick-cc",
        "role": "la-leadership",
        "permission": "member",
        "bio": "Assistant director for quality assurance and performance. "
        "Social worker by background.",
    },
    {
        "handle": "ben.castellano",
        "display_name": "Ben Castellano",
        "email": "ben.castellano@saltmarsh.gov.uk",
        "organisation": "saltmarsh-cc",
        "role": "la-data",
        "permission": "member",
        "bio": "Commissioning and sufficiency analyst. Placements, costs, "
        "forecasts and a lot of conversations with finance.",
    },
    {
        "handle": "jamie.holt",
        "display_name": "Jamie Holt",
        "email": "jamie.holt@saltmarsh.gov.uk",
        "organisation": "saltmarsh-cc",
        "role": "no-care-experience",
        "permission": "member",
        "bio": "Junior analyst, six months into children's services after five "
        "years in retail reporting. Still learning the acronyms.",
    },
    {
        "handle": "deji.adeyemi",
        "display_name": "Ayodeji Adeyemi",
        "email": "deji.adeyemi@dfe-returns-insight.example.org",
        "organisation": "dfe-returns-insight",
        "role": "cg-data",
        "permission": "member",
        "bio": "Statistician working on children's social care collections and "
        "published statistics. Posting in a personal capacity.",
    },
    {
        "handle": "owen.thackeray",
        "display_name": "Owen Thackeray",
        "email": "owen.thackeray@dfe-returns-insight.example.org",
        "organisation": "dfe-returns-insight",
        "role": "cg-digital",
        "permission": "member",
        "bio": "User researcher on data collection services. Always looking for "
        "people willing to show me how returns really get made.",
    },
    {
        "handle": "rosa.delgado",
        "display_name": "Rosa Delgado",
        "email": "rosa.delgado@dfe-returns-insight.example.org",
        "organisation": "dfe-returns-insight",
        "role": "cg-social-care",
        "permission": "member",
        "bio": "Social work policy adviser. Former practitioner in a fostering "
        "team. Interested in how policy ideas turn into fields on a form.",
    },
    {
        "handle": "grace.whitlow",
        "display_name": "Grace Whitlow",
        "email": "grace.whitlow@brightfield-systems.example.org",
        "organisation": "brightfield-systems",
        "role": "supplier-partner",
        "permission": "member",
        "bio": "Product lead for reporting at Brightfield, which makes a returns "
        "and warehouse tool for children's services. I will say when I have "
        "a commercial interest.",
    },
    {
        "handle": "marcus.lee",
        "display_name": "Marcus Lee",
        "email": "marcus.lee@ledgerlane.example.org",
        "organisation": "ledger-lane",
        "role": "consultant",
        "permission": "mentor",
        "bio": "Independent-minded consultant, fifteen years in children's "
        "services analytics, ten of them inside councils. Mentoring on "
        "forecasting, statistics and first jobs in the sector.",
    },
    {
        "handle": "kayleigh.robson",
        "display_name": "Kayleigh Robson",
        "email": "kayleigh.robson@opendoor-network.example.org",
        "organisation": "open-door-network",
        "role": "care-experienced",
        "permission": "member",
        "bio": "Care-experienced peer researcher at Open Door. I help councils "
        "check that what they measure matches what young people live through.",
    },
    {
        "handle": "farah.qureshi",
        "display_name": "Farah Qureshi",
        "email": "farah.qureshi@tollbridge-icb.example.org",
        "organisation": "tollbridge-icb",
        "role": "other-public-sector",
        "permission": "member",
        "bio": "Population health analyst at an integrated care board, working on "
        "children's health needs and joint commissioning with councils.",
    },
    {
        "handle": "lewis.grant",
        "display_name": "Lewis Grant",
        "email": "lewis.grant@example.org",
        "organisation": None,
        "role": "other-private-sector",
        "permission": "member",
        "bio": "Freelance Power BI trainer. Came to children's services work "
        "through a council training contract and stayed for the people.",
    },
]

THREADS: list[dict] = [
    {
        "title": "Welcome: what this forum is for and how we keep it safe",
        "kind": "announcement",
        "skill_area": "data-leadership",
        "roles": [
            "la-data",
            "la-digital",
            "la-social-care",
            "la-leadership",
            "cg-data",
            "cg-digital",
            "cg-social-care",
            "cg-leadership",
            "other-public-sector",
            "supplier-partner",
            "consultant",
            "other-private-sector",
            "care-experienced",
            "no-care-experience",
        ],
        "author": "admin.joe",
        "days_ago": 89,
        "body": """Welcome, and thank you for joining.

This is a peer-support space for people who work with children's services data in local authorities. It is also for the people who work alongside us: central government analysts, suppliers, consultants and health colleagues. And it is for people with lived experience of care, who help us see what the numbers leave out.

**What belongs here**

- Questions about statutory returns, case management systems, SQL, BI tools, statistics and governance
- Discussions about practice, ethics and leading a data team
- Resources you have found useful (tell us *why*, not just the link)
- Announcements from the moderators

**Three house rules**

1. **No child-level or family-level data, ever.** Not a screenshot, not a "pseudonymised" extract, not a free-text snippet. When you need an example, invent it: `CHILD-0001`, made-up dates, round numbers.
2. **Say what you are working with.** Which system, which return, which year's specification. The right answer usually depends on it.
3. **Disagree with ideas, not people.** Plenty of us are the only analyst in our service. Asking a basic question here should feel normal.

Moderators will hide a post that breaks rule 1 first and ask questions afterwards. If you spot one, please use **Report** rather than replying, so the content is not quoted again.

Mentors have a badge on their profile. They have offered to answer questions in their areas and to have a short call with newer members if that helps.
""",
        "replies": [
            {
                "author": "mod.amira",
                "body": """One practical addition to rule 1: error reports from the DfE validation tools often include your own LA child ids. Those still count as child-level data, so please swap them for made-up ones before you paste a table.

If you are unsure whether something is safe to post, send it to a moderator first. We would much rather check ten harmless posts than miss one.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Thanks for making room for care-experienced members. A lot of us have read our own files as adults, and it matters to know that the people who build the reports treat those records carefully.

I'm happy to be tagged in threads where a young person's view would help, especially anything about care leavers or how records read from the other side.""",
            },
        ],
    },
    {
        "title": "Reminder: screenshots and pasted extracts are still child-level data",
        "kind": "announcement",
        "skill_area": "information-governance",
        "roles": ["la-data", "la-digital", "supplier-partner", "consultant"],
        "author": "mod.amira",
        "days_ago": 41,
        "body": """A quick reminder after hiding two posts this week. Both were well meant and both had to go.

> A screenshot of a Power BI table with initials and a date of birth is personal data, even if the surname is cropped.

When you need help with a query or a visual, please:

- [ ] rebuild the example with invented rows (`CHILD-0001`, `CHILD-0002`, …)
- [ ] round or shuffle any counts that came from a real service
- [ ] remove team names and worker names as well as child details
- [ ] check the file name and title bar of any screenshot, since they often carry a name

Small numbers matter too. "The one 15-year-old in our secure placement" identifies a child in a small authority without any name at all.

Nobody is in trouble, and the quickest way to get a good answer is still a clean, made-up example.""",
        "replies": [
            {
                "author": "ruth.okonjo",
                "body": """From the IG side, thank you. If someone does post something by mistake, tell your own information governance team as well as the moderators. Most councils treat that as an incident to log, even when the post was only up for a few minutes. Logging it early is much better than someone finding it months later.""",
            },
        ],
    },
    {
        "title": "CIN census error 8869: assessment authorised before it started — how do I trace it?",
        "kind": "question",
        "skill_area": "cin-census",
        "roles": ["la-data", "cg-data", "supplier-partner"],
        "author": "helen.moss",
        "days_ago": 12,
        "body": """Our test upload for the CIN census came back with 37 instances of rule **8869**, which our validator reports as:

> *Assessment authorisation date must be on or after the assessment start date.*

Last year we had two. We are on Liquidlogic, and the census extract is built by a stored procedure written by a colleague who has since left. The error report gives the LA child id and the assessment start date, and that is about it.

A made-up example of what the rows look like:

| LAchildID | AssessmentActualStartDate | AssessmentAuthorisationDate |
|---|---|---|
| CHILD-0412 | 2024-11-14 | 2024-11-02 |
| CHILD-0977 | 2025-01-06 | 2025-01-06 |
| CHILD-1130 | 2024-09-30 | 2024-08-19 |

(The second row is odd because the dates match, so I suspect times are involved somewhere.)

What I'd like to know:

1. How do you trace a validation error back to the form in the source system, rather than just the extract?
2. Is a sudden jump like this usually a recording problem or an extract problem?
3. Is it ever acceptable to "fix" this in the extract rather than in the system?

Deadline is a few weeks away, so I have time to do it properly, just not much.""",
        "replies": [
            {
                "author": "mei.chen",
                "body": """A jump from 2 to 37 in one year almost always means something changed in the workflow or the extract, not that 35 more workers made the same slip.

I would trace it in three steps. First, put the census staging table next to the source so you can see which source row each census value came from:

```sql
SELECT
    s.la_child_id,
    s.assessment_start,
    s.assessment_authorised,
    f.form_id,
    f.form_type,
    f.created_datetime,
    f.start_date_field,
    f.authorised_datetime
FROM census_staging_assessments AS s
JOIN src_assessment_forms AS f
    ON f.form_id = s.source_form_id
WHERE s.assessment_authorised < s.assessment_start
ORDER BY f.form_type, s.assessment_start;
```

If your staging table doesn't keep `source_form_id`, add it now. It is the single most useful column in any returns build.

Second, group the failures by `form_type`. If most of them share one form, you have found your cause.

Third, for your matching-dates row, compare the raw datetimes. If the procedure casts one field to a date and keeps the other as a datetime, comparisons can go wrong in ways that look impossible.""",
            },
            {
                "author": "grace.whitlow",
                "body": """Speaking generally rather than about any one product: when a form is reopened or copied, some systems keep the original authorisation stamp while the worker edits the start date. The audit or history table usually tells you which happened. Look for an edit to the start date *after* the authorisation event.

If it turns out that a form template now copies dates it shouldn't, raise it with your supplier with two or three made-up examples of the sequence. That gets fixed much faster than a vague "the census is wrong".

On question 3, I would be wary of changing it in the extract. Your census should reflect the record. If the record is wrong, correct the record and keep a note of what you changed and why.""",
            },
            {
                "author": "helen.moss",
                "body": """Update for anyone who finds this later. Mei's grouping step found it straight away:

- [x] 31 of 37 came from a new "step-down review" form that went live in October. It copies the authorisation date from the previous assessment. Logged with the supplier and our systems team.
- [x] The matching-dates row was a datetime compared with a date, exactly as suggested.
- [ ] 5 genuine recording errors sent to team managers with a short explanation of why the order matters.

I've added `source_form_id` to every staging table in the build. Thank you both.""",
            },
        ],
    },
    {
        "title": "Finding overlapping SSDA903 episodes before the validator does",
        "kind": "question",
        "skill_area": "ssda903",
        "roles": ["la-data", "la-digital", "cg-data"],
        "author": "priya.n",
        "days_ago": 25,
        "body": """Every spring we get a batch of overlapping-episode errors on the 903 and fix them by hand under pressure. I'd like a weekly check in the warehouse so they get fixed when they happen.

Our episodes table, simplified:

| column | meaning |
|---|---|
| `episode_id` | surrogate key |
| `child_id` | LA child id |
| `decom` | date episode commenced |
| `dec` | date episode ceased (null if open) |
| `rne`, `ls`, `place` | reason for new episode, legal status, placement type |
| `rec` | reason episode ceased |

My first attempt was a self-join on `child_id` where the date ranges intersect. It takes minutes on about 40,000 rows, and it reports each overlap twice, once from each side.

Is there a tidier way? We're on SQL Server 2019. I'd also like to catch the near-misses: an open episode that is followed by another one, and a gap after an episode that ended with `X1`, because that code implies the next episode starts the same day.""",
        "replies": [
            {
                "author": "mei.chen",
                "body": """Use window functions. Order each child's episodes once and compare each row with its neighbour, so nothing is counted twice:

```sql
WITH ordered AS (
    SELECT
        episode_id,
        child_id,
        decom,
        dec,
        rec,
        LEAD(decom) OVER (
            PARTITION BY child_id ORDER BY decom, episode_id
        ) AS next_decom
    FROM cla_episodes
)
SELECT
    child_id,
    episode_id,
    decom,
    dec,
    rec,
    next_decom,
    CASE
        WHEN dec IS NULL AND next_decom IS NOT NULL
            THEN 'open episode followed by a later episode'
        WHEN next_decom < dec
            THEN 'next episode starts before this one ends'
        WHEN rec = 'X1' AND next_decom > dec
            THEN 'X1 but next episode starts later'
        WHEN rec = 'X1' AND next_decom IS NULL
            THEN 'X1 but no next episode'
    END AS issue
FROM ordered
WHERE (dec IS NULL AND next_decom IS NOT NULL)
   OR next_decom < dec
   OR (rec = 'X1' AND (next_decom IS NULL OR next_decom > dec));
```

One limitation: `LAG` and `LEAD` only compare neighbours. If one long episode overlaps two later ones, you see it once, against the first. A running maximum catches the rest:

```sql
MAX(dec) OVER (
    PARTITION BY child_id ORDER BY decom, episode_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
) AS latest_earlier_dec
```

Any row with `decom < latest_earlier_dec` starts inside some earlier episode. `MAX` ignores nulls, so handle open episodes with the first rule above.

Put `episode_id` in the `ORDER BY` so that two episodes with the same `decom` always sort the same way. Otherwise your results can change between runs.""",
            },
            {
                "author": "tom.ashworth",
                "body": """On speed: an index on `(child_id, decom, episode_id)` with `dec` and `rec` included turned a similar query of ours from minutes into under a second.

One thing to watch in the X1 checks: "X1 but no next episode" can be a real error, or it can be a child whose next episode hasn't been recorded *yet*. We send that category to the team a week later rather than straight away, or people learn to ignore the list.""",
            },
            {
                "author": "priya.n",
                "body": """This is great, thank you both. The window version runs in about a second and the results now match the validator's list from last year, with three extra rows that turned out to be real errors it didn't catch because those children left care before year end. Adding the one-week delay for the X1 category too.""",
            },
        ],
    },
    {
        "title": "Annex A readiness: how far ahead do you build the lists?",
        "kind": "question",
        "skill_area": "inspection-data",
        "roles": ["la-data", "la-leadership", "la-social-care"],
        "author": "nadia.sorensen",
        "days_ago": 33,
        "body": """We are expecting a standard ILACS inspection some time in the next year. Last time we built the Annex A lists in a frantic few days after the notification call, and two of them had counts that didn't match the figures in our self-evaluation. The inspectors noticed.

I'd like to be in a better place this time. For those who have been through it recently:

- Do you keep a live Annex A build and run it regularly, or only build it when needed?
- Who signs the lists off before they go, and what do they actually check?
- How do you handle the awkward fields, such as a blank allocated worker or a team that no longer exists after a restructure?

I'm less interested in the tooling than in the routine that makes it reliable. We have a capable team but nobody who has done Annex A here before.""",
        "replies": [
            {
                "author": "mod.amira",
                "body": """We run the full Annex A build on the first working day of every month and treat it like a fire drill. The routine:

- [ ] build every list from the same snapshot date
- [ ] reconcile list counts against the monthly scorecard and write down every difference
- [ ] check a sample of ten rows per list against the case record (we rotate who does this)
- [ ] review blank or retired values: unallocated cases, closed teams, missing ethnicity
- [ ] a named service manager reads the reconciliation note and signs it

The reconciliation note is the important part. When counts differ for a good reason (a different date basis, say), write the reason down. Then nobody has to work it out again on notification day.

For blank allocated workers we report exactly what the record shows, and a separate note lists them with the reason. Filling the gap to make the list look tidy is worse than the gap.""",
            },
            {
                "author": "sian.pryce",
                "body": """I would gently push back on monthly for a team that hasn't done it before. A monthly full build can turn into a ritual that people click through. We do it **quarterly**, with automated checks weekly on the fields that usually go wrong.

The bigger win for us was making the self-evaluation and the Annex A lists come from the same definitions document. Inspectors will compare them, so decide in advance which figure is the "headline" one and why.

Nadia, I'm happy to share our definitions template if you message me.""",
            },
            {
                "author": "helen.moss",
                "body": """Small-authority view: I am the whole returns team, so a monthly build isn't realistic for us either. What saved me last time was a one-page crib sheet per list with the source tables, the date logic and the known quirks. On the day, the pressure makes you forget things you knew perfectly well the week before.""",
            },
        ],
    },
    {
        "title": "DAX measure for a rolling 12-month re-referral rate",
        "kind": "question",
        "skill_area": "power-bi",
        "roles": ["la-data", "other-private-sector"],
        "author": "priya.n",
        "days_ago": 18,
        "body": """I need a re-referral rate on our front door dashboard that shows, for each month, the rolling 12 months ending in that month.

Definition we've agreed locally: *of all referrals in the 12 months, the percentage where the same child had a previous referral within the 12 months before that referral.*

The model:

- `Referrals` fact: `ReferralId`, `ChildId`, `ReferralDate`
- `Date` table, marked as a date table, related on `ReferralDate`

My current measure works out the "previous referral" part inside DAX with `FILTER` over the whole fact table for every row. It's correct on a small test file and hopeless on real volumes: the visual times out.

Is there a standard pattern for this? I'm open to moving logic out of DAX if that's the better answer.""",
        "replies": [
            {
                "author": "lewis.grant",
                "body": """Move the "is this a re-referral" decision upstream. It's a property of each referral and never changes with the filter context, so it belongs in SQL or Power Query, not in a measure.

In SQL:

```sql
SELECT
    referral_id,
    child_id,
    referral_date,
    CASE
        WHEN LAG(referral_date) OVER (
                 PARTITION BY child_id ORDER BY referral_date, referral_id
             ) >= DATEADD(month, -12, referral_date)
        THEN 1 ELSE 0
    END AS is_re_referral
FROM referrals;
```

Then the DAX is simple and fast:

```dax
Referrals R12 =
CALCULATE (
    COUNTROWS ( Referrals ),
    DATESINPERIOD ( 'Date'[Date], MAX ( 'Date'[Date] ), -12, MONTH )
)

Re-referrals R12 =
CALCULATE ( [Referrals R12], Referrals[is_re_referral] = 1 )

Re-referral rate R12 =
DIVIDE ( [Re-referrals R12], [Referrals R12] )
```

Put month end on the axis and `MAX ( 'Date'[Date] )` gives you the right window for each point.""",
            },
            {
                "author": "marcus.lee",
                "body": """Lewis's pattern is the right one. Two points on the definition, because they catch people out:

1. **History.** The flag needs referrals from *before* your reporting window. If your fact table starts in April 2023, every referral in the first year looks like a first referral, and the rate will look low for the first 12 points on the chart. Load at least 24 months of history, or hide those points.
2. **Comparability.** The published CIN figure counts re-referrals for referrals in the collection year, so a rolling measure will not match it exactly at any month except March. That's fine, but label it so nobody compares your June figure with the national one and panics.""",
            },
            {
                "author": "priya.n",
                "body": """Done: flag moved to the SQL view and 36 months of history loaded. The visual renders in under a second now. I've added a note in the tooltip that the March value is the one to compare with published figures.""",
            },
        ],
    },
    {
        "title": "Ranking placements per child: ROW_NUMBER, RANK or DENSE_RANK?",
        "kind": "question",
        "skill_area": "sql-data-engineering",
        "roles": ["la-data", "la-digital"],
        "author": "ben.castellano",
        "days_ago": 47,
        "body": """I'm building a placements table for our sufficiency work and need two things per child in care:

1. a sequence number for each placement in the current period of care (1st, 2nd, 3rd …)
2. a flag on the longest placement so far

I've got placements as rows with `child_id`, `placement_id`, `placement_start`, `placement_end` (null if current) and `period_of_care_id`.

I keep mixing up `ROW_NUMBER`, `RANK` and `DENSE_RANK`. Two placements sometimes share a start date when a move is recorded twice on the same day, and I'm not sure which function handles that sensibly. A short explanation with an example would be really helpful.""",
        "replies": [
            {
                "author": "mei.chen",
                "body": """The difference only shows up when there are ties in the `ORDER BY`:

| value | `ROW_NUMBER` | `RANK` | `DENSE_RANK` |
|---|---|---|---|
| 2024-01-10 | 1 | 1 | 1 |
| 2024-03-02 | 2 | 2 | 2 |
| 2024-03-02 | 3 | 2 | 2 |
| 2024-06-15 | 4 | 4 | 3 |

For the **sequence**, use `ROW_NUMBER` with a tie-breaker so every placement gets a distinct number that doesn't change between runs. For the **longest**, use `RANK`, so that two placements of equal length both show as longest and you can see the tie:

```sql
SELECT
    child_id,
    placement_id,
    placement_start,
    placement_end,
    ROW_NUMBER() OVER (
        PARTITION BY period_of_care_id
        ORDER BY placement_start, placement_id
    ) AS placement_seq,
    RANK() OVER (
        PARTITION BY period_of_care_id
        ORDER BY DATEDIFF(day, placement_start,
                          COALESCE(placement_end, CAST(GETDATE() AS date))) DESC
    ) AS length_rank
FROM placements;
```

`length_rank = 1` is your longest-placement flag.

Two placements starting on the same day is worth a data quality check of its own, by the way. Usually one of them is a duplicate.""",
            },
            {
                "author": "priya.n",
                "body": """One trap if you're building this from 903-style episodes rather than a placements table: a change of legal status starts a new episode without the child moving. If you rank episodes, you'll count moves that never happened. Collapse consecutive episodes with the same placement and carer into one placement first, then rank.""",
            },
        ],
    },
    {
        "title": "DPIA for sharing looked-after children data with our ICB for a health needs analysis",
        "kind": "question",
        "skill_area": "information-governance",
        "roles": ["la-data", "la-digital", "la-leadership", "other-public-sector"],
        "author": "ruth.okonjo",
        "days_ago": 55,
        "body": """We're drafting a DPIA and data-sharing agreement with our integrated care board. The aim is a joint analysis of health assessment timeliness and mental health service waits for children in care.

The proposal as it stands:

- the council shares a list of children looked after during the year, with identifiers needed for matching
- the ICB links this to health data and returns aggregate results
- no child-level data comes back to the council

Where I'd value views:

1. **Controllers.** Are we joint controllers, or is each of us a separate controller for our own part?
2. **Lawful basis.** We're planning on public task for Article 6, with the substantial public interest route for the special category health data. Has anyone had pushback on that combination?
3. **Re-identification risk** in the aggregate outputs. How do you describe it in a DPIA in a way that a panel will understand?
4. **Retention.** How long should the ICB keep the linked file once the analysis is done?

I've done plenty of DPIAs, but not one where the most sensitive linkage happens outside our walls.""",
        "replies": [
            {
                "author": "farah.qureshi",
                "body": """From the ICB side, the version our panel likes best puts the linkage in our secure data environment. Analysts there only see pseudonymised records, and the identifiers are swapped for linkage keys on the way in. That makes it much easier to show data minimisation.

We'd normally also ask for:

- a fixed list of output tables agreed in the DSA, so nobody can query the linked file for something new
- small-number suppression rules written into the agreement, not left to the analyst
- a deletion date for the linked file with a named person responsible for confirming it

On question 1, in past projects our IG teams treated it as joint control, because both parties decided the purpose together. Your DPO may see it differently, so check early.""",
            },
            {
                "author": "mod.amira",
                "body": """Structure that got ours through panel first time:

| Section | What the panel wanted to see |
|---|---|
| Purpose | The decisions the analysis will inform, not just "improve outcomes" |
| Necessity | Why aggregate data already published isn't enough |
| Data items | Each field with a reason; cut anything without one |
| Risks | Likelihood and severity, in plain words |
| Mitigations | Who does what, and when |
| Children's views | How young people were consulted or informed |

For re-identification, a worked example helped: "a table of 3 children aged 16 in one placement type would identify them to anyone who knows the service, so cells under 5 are suppressed along with enough other cells to stop differencing." Panels understand a concrete case much faster than a principle.[^1]

[^1]: The ICO's guidance on DPIAs and its data sharing code are both worth reading before panel: https://ico.org.uk/""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Please do the "children's views" row properly. When I was in care, nobody told me my health records and council records were being joined up. I'd probably have said yes if someone had explained it, but finding out later felt like being talked about behind my back.

Open Door has run sessions for councils on this. A short privacy notice written *for* young people, tested with a few of them, goes a long way. It also tends to make the DPIA clearer for the adults.""",
            },
        ],
    },
    {
        "title": "Our statistical neighbours look nothing like us any more — what do you benchmark against?",
        "kind": "question",
        "skill_area": "benchmarking",
        "roles": ["la-data", "la-leadership", "cg-data"],
        "author": "ben.castellano",
        "days_ago": 70,
        "body": """We use the statistical neighbour group from LAIT for nearly all our benchmarking. Over the last three years our rate of children looked after per 10,000 has drifted well below most of the group, while our child protection rate has gone the other way.

Our new cabinet member has asked why we're compared with councils that "don't look like us". Someone has suggested switching to a different nearest-neighbour model, and someone else wants a hand-picked group of councils "with similar demand".

I'm uneasy about the last one in particular, but I'd like to give a better answer than "that's what we've always done". How do other teams choose and defend a comparator group?""",
        "replies": [
            {
                "author": "deji.adeyemi",
                "body": """Speaking personally: the statistical neighbour model groups councils on socio-economic and demographic characteristics, not on children's services outcomes. So a council whose outcomes now differ from its neighbours isn't evidence that the group is wrong. It's exactly what benchmarking is meant to show you.

A group chosen because its demand looks like yours removes the very differences you're trying to explain. It also tends to produce reassuring answers, which is a risk in itself.

What tends to work in briefings:

- show England, your region and your neighbours together, so no single comparator carries the whole message
- use ranges or quartiles rather than league-table ranks, since ranks exaggerate small differences
- always show trend, because one year's position can mislead""",
            },
            {
                "author": "sian.pryce",
                "body": """Agree with Deji. The governance point that helped us: we wrote down our comparator choices in the annual performance framework, signed off by the DCS, and we don't change them mid-year. When a member asks "why these councils?", the answer is "because we agreed them in advance, before we knew the results". That takes the heat out of it.""",
            },
            {
                "author": "marcus.lee",
                "body": """A small disagreement. For a *specific* question, a bespoke group can be the honest choice. Unaccompanied asylum-seeking children are a good example, where port authorities are so different that the standard group says very little. The test is whether you pick the group for a reason you'd be happy to publish, before you look at the results. For routine benchmarking, stick with the standard group as Deji and Siân say.""",
            },
        ],
    },
    {
        "title": "Ward-level dashboard: what's the rule on small numbers?",
        "kind": "question",
        "skill_area": "statistics-methods",
        "roles": ["la-data", "no-care-experience", "cg-data"],
        "author": "jamie.holt",
        "days_ago": 28,
        "body": """I'm building a dashboard that will go on our public partnership website. It shows children in need and child protection plans by ward and by age band.

In retail we never worried about small numbers. Now my manager has said "suppress anything under 5", and I have some questions:

1. If I blank out a cell under 5 but show the row total, can't people just work it out by subtraction?
2. Should zeros be suppressed too?
3. Is rounding better than blanking?
4. Is there written guidance I should be following rather than making it up?

Current draft (numbers invented):

| Ward | Age 0–4 | Age 5–9 | Age 10–15 | Age 16–17 | Total |
|---|---|---|---|---|---|
| Millbrook | 14 | 9 | 3 | 2 | 28 |
| Ferry End | 22 | 17 | 11 | 6 | 56 |""",
        "replies": [
            {
                "author": "deji.adeyemi",
                "body": """You've spotted the main problem already. Blanking one cell while publishing the total is called **primary suppression only**, and it gives no protection: 28 − 14 − 9 − 2 = 3.

You need **secondary suppression** too. Blank at least one more cell in the same row (and column, if columns have totals) so the hidden values can't be recovered. Choose the next smallest cell, so you lose as little information as possible.

On your other questions:

- **Zeros.** It depends on what a zero reveals. "No child in this ward has a plan" is often fine, but a zero can disclose something about the other cells. Decide case by case and write the rule down.
- **Rounding** to the nearest 5 is simpler to apply consistently and easier on the reader, though totals then don't add up. Many publishers round *and* suppress.
- **Guidance.** The Government Statistical Service publishes guidance on disclosure control for tables. Your own council may also have a policy. Follow that first.""",
            },
            {
                "author": "mei.chen",
                "body": """If it helps, here's a deliberately simple pandas version of primary plus one-cell secondary suppression by row. It isn't a full solution for tables with both row and column totals, but it shows the idea:

```python
import pandas as pd

THRESHOLD = 5


def suppress_rows(table: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    out = table.copy().astype("object")
    for idx, row in table[value_cols].iterrows():
        small = [col for col in value_cols if 0 < row[col] < THRESHOLD]
        if not small:
            continue
        for column in small:
            out.at[idx, column] = "c"
        if len(small) == 1:
            others = row.drop(labels=small).sort_values()
            out.at[idx, others.index[0]] = "c"
    return out
```

We use `c` for "confidential", which matches what a lot of published tables do, and a footnote explains it.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Worth adding the human side. Ward-level numbers in a small place can point to a family even when every cell is above 5, because people combine them with what they already know, such as whose children are on the school run or who has a social worker visiting.

Age band 16–17 is the one I'd be most careful with, especially in rural wards. Ask whether the public really need that breakdown at all.""",
            },
        ],
    },
    {
        "title": "Mosaic reporting: which date marks a workflow step as completed?",
        "kind": "question",
        "skill_area": "mosaic",
        "roles": ["la-data", "la-digital", "la-social-care"],
        "author": "tom.ashworth",
        "days_ago": 81,
        "body": """We're rebuilding assessment timeliness from our Mosaic reporting replica. I'm finding that a workflow step can carry several dates that could each claim to be "completed":

- the date the worker marked the step finished
- the date a manager authorised it
- the date the next step was started
- an audit timestamp from whenever the record last changed

Our old report used the last of these, which is obviously wrong because any later edit moves it. The table names in our replica are local (`wf_steps`, `wf_step_types`, `wf_step_events`), so I won't pretend they match anyone else's.

For those on Mosaic: which date do you use for "assessment completed" in the CIN census sense, and how do you handle steps that were reopened and finished a second time? I'm trying to settle this with practice leads before I rebuild everything.""",
        "replies": [
            {
                "author": "mod.amira",
                "body": """Eastwick is also on Mosaic. We use the **authorisation date** for the census and for timeliness, because that's the point where the assessment is signed off as complete. The worker's finish date goes into a separate "time awaiting sign-off" measure, which has turned out to be one of our most useful operational figures.

For reopened steps, we keep the *first* authorisation for timeliness and flag the step as reopened. Using the last one punishes teams for correcting a record, and that's the opposite of what we want.

Whatever you choose, put it in a definitions note and get a practice lead to agree it in writing.""",
            },
            {
                "author": "dan.fairweather",
                "body": """From the practice side, please do split worker-finished from manager-authorised. In my team the assessment is often finished on day 38 and signed off on day 47, because I'm covering two teams. Right now the report makes it look like my workers were late. The hold-up is actually at my end, and I'd rather the figures showed that honestly.""",
            },
        ],
    },
    {
        "title": "Liquidlogic: vendor reporting views or our own warehouse layer?",
        "kind": "discussion",
        "skill_area": "liquidlogic",
        "roles": ["la-data", "la-digital", "supplier-partner"],
        "author": "helen.moss",
        "days_ago": 63,
        "body": """We're a small Liquidlogic authority. Most of our reports run straight against the vendor-supplied reporting views, with some local views on top that nobody fully understands any more.

Our digital team has offered to build a proper warehouse layer: nightly copy, cleaned tables, documented definitions. It's a real investment of their time, and I'd be the one maintaining the children's side.

For those who've made this move:

- Was it worth it?
- What did you lose when you stopped using the vendor views directly?
- How do you cope with system upgrades that change the source?

I'm particularly worried about upgrades, because right now the supplier absorbs some of that pain for us.""",
        "replies": [
            {
                "author": "priya.n",
                "body": """Northmoor did it three years ago. Short answer: yes, worth it. But keep the vendor views as your **source**, not something to replace. Our warehouse reads from the supplier's views where they exist, so when an upgrade changes the underlying tables, the supplier updates the views and we change very little.

What we gained:

- one definition of "open CIN case" instead of four
- tests that run every night and tell us when counts jump
- history. The live views only show the current state, but our nightly snapshots let us answer "what did the caseload look like on 1 March?"

What we lost: a couple of months of my time, and the ability to say "that's how the vendor calculates it" when someone questions a figure.""",
            },
            {
                "author": "grace.whitlow",
                "body": """Declaring an interest: my company sells warehouse tooling, so read this with that in mind.

Priya's point about reading from the vendor views is the one I'd underline. The councils that struggle after upgrades are usually the ones that query base tables directly because a view was slow. If a view is slow, raise it with the supplier and keep using it while you wait.

I'd also budget for documentation from day one. A warehouse nobody understands is just the same problem you have now, in a newer place.""",
            },
            {
                "author": "admin.joe",
                "body": """Helen, one more thing for a small authority: agree up front who covers when you're on leave in census season. A warehouse with a single maintainer is a risk that leadership should sign off knowingly, not find out about in May.""",
            },
        ],
    },
    {
        "title": "What would you want from a case management system's reporting layer?",
        "kind": "discussion",
        "skill_area": "case-management-systems",
        "roles": ["supplier-partner", "la-data", "la-digital", "la-social-care"],
        "author": "grace.whitlow",
        "days_ago": 36,
        "body": """Declaring my interest first: I lead reporting for a supplier, and we're planning next year's work. I'd rather hear from people who use these systems every day than guess in a meeting room.

I'm not asking about any one product, and I won't quote anyone without asking. The questions:

1. What's the single most frustrating thing about getting data *out* of your case management system?
2. Would you rather have well-documented raw tables, or pre-built reporting views that are maintained through upgrades?
3. How much do you rely on history (what a record looked like on a given date), and where do you get it from now?
4. What would make statutory returns less painful at the system end?

Honest answers welcome, including "stop adding features and fix the documentation".""",
        "replies": [
            {
                "author": "priya.n",
                "body": """1. Undocumented status codes. We have a status field with 14 values and no description anywhere, so we learn what they mean by asking practitioners.
2. Both, honestly: views for the common things, and raw tables documented well enough that we can check the views.
3. Hugely. We take nightly snapshots because there's no reliable effective-dated history at source.
4. A validation report we can run *inside* the system during the year, using the same rules as the DfE tool.""",
            },
            {
                "author": "helen.moss",
                "body": """"Stop adding features and fix the documentation" was going to be my answer, so thank you for saying it first.

Something more constructive: a data dictionary that comes with every release and says what changed. Even a plain list like "field X on form Y now copies from the previous assessment" would have saved me a week this year.""",
            },
            {
                "author": "tom.ashworth",
                "body": """Change data capture, or at least reliable last-modified timestamps on every table. We copy whole tables nightly because we can't trust the timestamps, and the job is getting longer every year.

Close second: stable keys. After one upgrade, a set of lookup ids was regenerated and every historic snapshot we held stopped joining to the current lookups. Please treat ids as a contract.""",
            },
        ],
    },
    {
        "title": "How we moved our 903 build from fourteen spreadsheet steps into a Git repository",
        "kind": "discussion",
        "skill_area": "git",
        "roles": ["la-data", "la-digital", "cg-data", "consultant"],
        "author": "mei.chen",
        "days_ago": 38,
        "body": """A few people asked about this at a regional meeting, so here is an honest write-up, including the bits that went wrong.

**Before:** the SSDA903 return was built from an extract plus fourteen manual steps across three workbooks. One person knew the order. Every year something was different and nobody could say why.

**After:** a Python package in a Git repository that builds the return from warehouse views, with tests, run with one command.

```text
ssda903-build/
├── pyproject.toml
├── README.md
├── sql/            # one query per output table, no data
├── src/build903/   # Python: load, transform, validate, write
├── tests/          # pytest, using synthetic children only
└── .gitignore      # excludes data/ and output/
```

What made the difference:

- **No data in Git, ever.** The `.gitignore` excludes `data/` and `output/`, and a pre-commit hook refuses any CSV or XLSX file.
- **Synthetic test fixtures.** We wrote about forty invented children (`CHILD-0001` onwards) that cover the awkward cases: same-day moves, X1 chains, a child who turns 18 mid-episode.
- **Tags per submission.** The code that produced each year's return is tagged, so we can rebuild it exactly.

What went wrong: we underestimated how long it takes to explain pull requests to colleagues who'd never used Git. Budget for that.""",
        "replies": [
            {
                "author": "tom.ashworth",
                "body": """Great write-up. We did something similar in R with `renv` to pin package versions, which saved us when a package update changed how dates were parsed.

For the pre-commit hook, we also block anything that looks like a date of birth next to an id in a `.sql` or `.py` file. It's crude, but it caught someone pasting real rows into a test once.""",
            },
            {
                "author": "helen.moss",
                "body": """This is where I want to get to. My problem is that our ICT won't let me install Git, Python or anything else on my laptop. I have Excel and SQL Server Management Studio.

Has anyone got past that? I don't want to go around IT. I just don't know what to ask for.""",
            },
            {
                "author": "mei.chen",
                "body": """Helen, ask for a specific, supported set-up rather than "Python". What worked here:

1. a named request for an analytical virtual desktop with Python, R, Git and VS Code
2. a one-page risk note: what's installed, where the data lives (server-side, never on the laptop), and who supports it
3. an offer to use the council's own Git server, or your organisation's approved cloud Git service, so nothing goes somewhere unknown

ICT teams usually say no to unknowns, not to tools. Happy to share our risk note if you message me.""",
            },
        ],
    },
    {
        "title": "Forecasting care leaver numbers to age 25 for the leaving care budget",
        "kind": "question",
        "skill_area": "statistics-methods",
        "roles": ["la-data", "la-leadership", "care-experienced", "consultant"],
        "author": "sian.pryce",
        "days_ago": 22,
        "body": """Finance have asked for a five-year forecast of care leavers we'll support, split by age band (18–20 and 21–25), to set the leaving care budget.

My team's current approach:

1. take children looked after now, aged 13 and over
2. apply a historical rate of becoming eligible for leaving care support
3. age everyone forward a year at a time
4. apply "take-up" rates for the 21–25 group from the last three years

It feels reasonable, but I have doubts:

- New entrants aged 14–17, including unaccompanied children, are a big part of our cohort and aren't in step 1 at all.
- Take-up at 21–25 has risen since we changed how we contact young people, so the last three years may not be a good guide.
- Finance want a single number. I'd rather give a range.

How have others built this, and how did you present the uncertainty?""",
        "replies": [
            {
                "author": "marcus.lee",
                "body": """Your four steps are a cohort-component model, and that's the right family. Add an **inflow** component for new entrants by single year of age. For unaccompanied children, model it separately, because it's driven by national arrangements rather than local demand.

A stripped-down R sketch of the ageing step with inflows:

```r
library(dplyr)

age_forward <- function(cohort, inflow, exit_rates) {
  cohort |>
    mutate(age = age + 1) |>
    left_join(exit_rates, by = "age") |>
    mutate(n = n * (1 - coalesce(exit_rate, 0))) |>
    select(age, n) |>
    bind_rows(inflow) |>
    group_by(age) |>
    summarise(n = sum(n), .groups = "drop")
}
```

For uncertainty, run it under low, central and high scenarios for inflow and take-up, and show finance all three. If they insist on one number, give them central and say in writing that the range is the real answer.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Please don't treat take-up at 21–25 as a measure of *need*. It's a measure of whether young people know what they're entitled to and trust you enough to ask. Plenty of my friends didn't come back until something went wrong at 23, because nobody had told them they still could.

If your contact changes pushed take-up up, that's good news, and a budget built on the old, lower rate will squeeze exactly the young people you've just reached.""",
            },
            {
                "author": "sian.pryce",
                "body": """Thank you both. We're adding the inflow step and modelling unaccompanied children separately. The central scenario now assumes take-up keeps rising for two more years and then levels off.

Kayleigh, would Open Door be willing to review the assumptions paper before it goes to finance? That would make the take-up assumption far easier to defend.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Yes, happy to. Send it over through the usual route and I'll get two of our peer researchers to read it with me. We'll look at the wording as well as the numbers, because the way a forecast describes young people ends up in committee papers and then in how services talk about them.""",
            },
        ],
    },
    {
        "title": "What's on your data quality dashboard, and does anyone act on it?",
        "kind": "discussion",
        "skill_area": "data-quality",
        "roles": ["la-data", "la-social-care", "la-leadership"],
        "author": "mod.amira",
        "days_ago": 15,
        "body": """We're redesigning our children's services data quality dashboard. The current one has 42 measures, is updated daily, and as far as I can tell is opened by three people, two of them in my team.

What I'd like to hear:

- which measures earned their place on your dashboard
- how you got team managers to use it
- whether you show names (child or worker) or only counts

My instinct is to cut it to about ten measures tied to the statutory returns and inspection, and to send each team its own short list rather than a giant dashboard. I'd be glad to be argued out of that.""",
        "replies": [
            {
                "author": "helen.moss",
                "body": """Our ten, roughly in order of how much grief they save at census time:

| Measure | Why it's there |
|---|---|
| Open episodes with no allocated worker | Annex A and caseload figures |
| Assessments open past 45 working days | Timeliness and a practice risk |
| Missing ethnicity | Census completeness, and equality analysis |
| CP plans with no review in the last 6 months | Statutory, and inspectors look at it |
| Children in care with no placement recorded | 903 errors |
| Referral date after assessment start | Census validation |
| Duplicate person records (possible matches) | Every return |
| Closed cases with open steps | Stale caseloads |
| Unauthorised forms older than 10 days | Timeliness measures |
| Care leavers with no accommodation recorded | Care leaver returns |

We publish counts to everyone and lists to the team that owns them.""",
            },
            {
                "author": "dan.fairweather",
                "body": """From a team manager: I use ours when it's a short list for *my* team that I can clear in 20 minutes on a Monday. I ignore it when it's a league table of teams, because that feels like being told off for things that are often system problems.

Two small things that helped: a "this is a system issue, not your team" tag, and a line on each item saying what to do to fix it.""",
            },
            {
                "author": "admin.joe",
                "body": """Agree with cutting to about ten. I'd add one measure about the dashboard itself: how many items were fixed in the last month. It's the only figure that tells you whether the dashboard is working.

And review the list every six months. A measure that has been at zero for a year has done its job and can make room for the next problem.""",
            },
        ],
    },
    {
        "title": "Workforce census: counting agency social workers who cover vacant posts",
        "kind": "question",
        "skill_area": "workforce-census",
        "roles": ["la-data", "la-leadership", "cg-data"],
        "author": "jamie.holt",
        "days_ago": 52,
        "body": """I've been given the children's social work workforce census as my first statutory return. Our figures come from two places: HR for permanent staff, and a spreadsheet from the social care business support team for agency workers.

Where I'm stuck:

1. If an agency worker is covering a vacant post, is that post still a vacancy, or does the agency worker fill it?
2. Some agency workers appear in both the HR system and the spreadsheet, because HR sets them up for IT access. How do people de-duplicate without a common id?
3. Should FTE for agency workers come from their contracted hours or their timesheets?

The reference date is 30 September, if that matters. My manager is helpful, but she last did this return four years ago.""",
        "replies": [
            {
                "author": "helen.moss",
                "body": """On 1: as we read the DfE guidance, a post covered by an agency worker is **still counted as a vacancy**, and the agency worker is also counted in the agency figures. It feels like double counting, but it's the point. The vacancy rate shows posts without a permanent worker. Check the current year's guidance, because wording shifts.

On 2: ask HR whether their records have a worker-type or contract-type field. Ours marks agency set-ups, so we drop those from the HR side and take agency workers only from the spreadsheet. Where that doesn't exist, match on name plus start date and check the leftovers by hand.

On 3: contracted hours as at the reference date. Timesheets vary week to week and won't match any snapshot.""",
            },
            {
                "author": "deji.adeyemi",
                "body": """Helen's reading on vacancies matches mine, and the guidance is the thing to check, as she says.

One more tip: keep a short reconciliation note showing how your headcount moved from last year's return (starters, leavers, changes in agency numbers). The validation stage often asks about large changes, and having the note ready makes that a five-minute answer.""",
            },
        ],
    },
    {
        "title": "Can we use an AI tool to summarise case notes for chronologies?",
        "kind": "question",
        "skill_area": "data-ethics-ai",
        "roles": [
            "la-social-care",
            "la-digital",
            "la-data",
            "la-leadership",
            "care-experienced",
        ],
        "author": "dan.fairweather",
        "days_ago": 9,
        "body": """Writing chronologies takes my team days per child for complex cases. A couple of workers have started asking whether they could paste case notes into a chatbot to produce a first draft. I've said no for now, but I want to give them a better answer than "because I said so".

The questions I can't answer:

- Is the problem the tool, or what we'd be putting into it?
- If the council bought an enterprise product with a proper contract, would that change things?
- What happens when the summary gets something wrong and it ends up in a court bundle?
- Would children and families be told?

I'm not anti-technology. Chronologies matter and my team's time matters too. I'd just like to get it right before someone does it quietly.""",
        "replies": [
            {
                "author": "ruth.okonjo",
                "body": """Both the tool and the input matter. Pasting case notes into a public chatbot is a no: you lose control of where the data goes and whether it's kept or used for training, and there's no contract behind it.

An enterprise product under a council contract *can* be acceptable, but only after:

- a DPIA specific to this use, covering accuracy as well as security
- a contract that rules out training on your data and sets where it's processed and stored
- clear rules that a worker checks every line of the draft against the record
- an answer to how errors are found and corrected

Please write to your IG team now, before it happens informally. It's much easier to design this properly than to clean up afterwards.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """I read my file at 19. Some of it was wrong, and one mistake about who I was living with had been copied from record to record for years. A tool that summarises quickly will copy mistakes quickly, and it will make them sound confident.

If you do this, please think about the young person reading their chronology at 19 or 30. Would they be told a machine wrote the first draft? I think they should be.""",
            },
            {
                "author": "marcus.lee",
                "body": """I'd disagree a little with where this usually lands, which is "no until someone else works it out". Workers are already under pressure to do this, so a controlled pilot is safer than a ban that people quietly get round.

A pilot I'd support: an approved tool, a small group of experienced workers, synthetic or consented cases to start with, and, crucially, an **error audit**. Compare a sample of AI drafts with worker-written chronologies, line by line, and publish the error rate internally. If it isn't clearly better for the child's record, stop.""",
            },
            {
                "author": "dan.fairweather",
                "body": """This is what I needed. I've sent Ruth's list to our principal social worker and IG team, quoted Kayleigh (anonymously) in the covering note, and proposed Marcus's error audit as the condition of any pilot. My team know it's being looked at properly, which has helped a lot.""",
            },
        ],
    },
    {
        "title": "First time presenting to our DCS: how do I avoid drowning them in charts?",
        "kind": "question",
        "skill_area": "insight-communication",
        "roles": ["la-data", "la-leadership"],
        "author": "priya.n",
        "days_ago": 30,
        "body": """I've been asked to present our quarterly front door analysis to the Director of Children's Services and the senior leadership team. I'll have 15 minutes.

I've got a 22-page Power BI report. It's thorough, and I'm proud of it, but I know that's the wrong thing to show. The main findings, as I see them:

- contacts are up 14% on last year, mostly from schools
- the conversion rate from contact to referral has dropped
- re-referrals are steady
- one locality has much longer waits for a decision than the others

How do people structure this kind of briefing? Do you send the report beforehand? How do you handle being asked something you don't know in the room?""",
        "replies": [
            {
                "author": "sian.pryce",
                "body": """Start with the answer. Directors get dozens of briefings a week, and the ones that land say in the first minute what has changed, why it matters and what you'd like them to decide or know.

A structure that works for me:

1. **One sentence:** "Demand at the front door is rising because of school contacts, and one locality is struggling to keep up."
2. **Three charts at most**, each with a title that states the finding, not the measure.
3. **What we don't know yet**, stated plainly.
4. **The ask:** a decision, a conversation with schools, or simply "note this".

Send a two-page summary the day before, not the 22-page report. Keep the full report open for questions.

If you're asked something you don't know, say "I don't know, I'll find out by Friday", then do it. That builds more trust than a guess.""",
            },
            {
                "author": "nadia.sorensen",
                "body": """Speaking as someone who sits on the other side of that table: tell us what's *unusual*. The locality waits are the item I'd want first, because it's a possible risk to children, and that's where the discussion should go.

One thing to avoid is a percentage on its own. "Contacts up 14%" should come with the number and the rate per 10,000 children, so we know whether it's a real shift or a small base.""",
            },
            {
                "author": "admin.joe",
                "body": """Priya, good luck. Practise it out loud once with someone who isn't an analyst. If they can't repeat your one sentence back to you afterwards, simplify it.

Afterwards, write down the questions you were asked. Over a year they tell you what the leadership team actually cares about, which is the best guide to what next quarter's analysis should cover.""",
            },
        ],
    },
    {
        "title": "Sufficiency strategy: estimating how many more in-house foster carers we need",
        "kind": "question",
        "skill_area": "finance-commissioning-sufficiency",
        "roles": ["la-data", "la-leadership", "consultant", "other-public-sector"],
        "author": "ben.castellano",
        "days_ago": 44,
        "body": """Our sufficiency strategy is being refreshed, and the headline ask from members is: "how many more in-house foster carers do we need to reduce reliance on independent fostering agencies and residential care?"

What I have:

- placements by type, age and needs band for the last five years
- in-house carer households, approved places and actual use
- average weekly costs by placement type (from finance, with caveats)
- recruitment and deregistration figures for in-house carers

The obvious calculation is "children placed externally who could have been placed in-house", divided by the average number of children per carer household. But I know it isn't that simple: matching, sibling groups, teenagers and carers' preferences all get in the way.

How have others approached this? I'd like something defensible rather than a single heroic number.""",
        "replies": [
            {
                "author": "marcus.lee",
                "body": """Break it into parts you can each defend:

| Step | Question | Typical data |
|---|---|---|
| 1 | Which external placements could an in-house carer realistically meet? | Age, needs band, sibling group, distance |
| 2 | How many approved in-house places sit empty, and why? | Use vs approval, carer preferences |
| 3 | How many net new households a year can you recruit? | Five years of approvals minus deregistrations |
| 4 | What does each household change financially? | Cost difference by placement type |

Step 2 often tells you more than anything else. Many councils find a chunk of unused in-house capacity that doesn't fit the children who need placements, which is mostly teenagers and sibling groups. Recruiting more of the same carers won't fix that.

Then present scenarios to members: if we recruit 10, 20 or 30 net households focused on teenagers, this is the effect on external placements and on cost.""",
            },
            {
                "author": "priya.n",
                "body": """Agree with Marcus. I'd also add a reality check to step 3: net recruitment has been close to zero in a lot of places for years. If your strategy assumes 30 net new households a year and the last five years averaged 4, members should see that comparison on the same page.""",
            },
            {
                "author": "ben.castellano",
                "body": """Step 2 was the eye-opener. We have about 20 approved places rarely used, nearly all for under-8s only, while almost all our external placements are children over 11. The strategy now talks about *which* carers we need, not just how many. Thanks both.""",
            },
        ],
    },
    {
        "title": "Reading list: understanding the child's journey before you analyse it",
        "kind": "resource",
        "skill_area": "social-care-practice",
        "roles": [
            "no-care-experience",
            "la-data",
            "other-private-sector",
            "supplier-partner",
        ],
        "author": "sian.pryce",
        "days_ago": 50,
        "body": """I give this list to every new analyst in my team, especially those who've come from outside social care. None of it is technical. All of it makes the technical work better.

**Statutory guidance (read the overview sections first)**

- *Working Together to Safeguard Children*: how agencies work together, and what a referral, assessment and child protection enquiry are for
- The Children Act 1989 guidance volumes on care planning: the legal framework behind most of the 903 fields
- The CIN census and SSDA903 guidance for the current year: read the definitions, not just the field lists

All of these are on GOV.UK under the Department for Education: https://www.gov.uk/government/organisations/department-for-education

**Published statistics**

- Explore education statistics has the national tables behind most benchmarking: https://explore-education-statistics.service.gov.uk/

**Things that aren't documents**

1. Shadow a duty social worker for a day. Ask to see a referral come in and follow it.
2. Sit in on a strategy discussion (with permission) or a child protection conference as an observer.
3. Read something written by care-experienced people about their own records. Then look at your data model again.

If you only do one thing, do number 1. It changes how you read every timeliness figure.""",
        "replies": [
            {
                "author": "jamie.holt",
                "body": """Can confirm number 1. I spent a day with our duty team last month and finally understood why "contact" and "referral" are different things, and why the timestamps look so odd: half the work happens on the phone before anything is recorded. It changed two of my queries.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """Thank you for including number 3. I'd add: if your council has a children in care council or a care leavers' forum, ask to attend a session and listen. You'll hear what "placement stability" means to someone who moved school three times in a year, and it isn't the same as the measure.""",
            },
            {
                "author": "dan.fairweather",
                "body": """Any analyst at Harrowfield who wants to shadow my team is welcome. The offer goes for other councils too: ask your own team managers. Most of us are delighted when someone from performance wants to see how it actually works.""",
            },
        ],
    },
    {
        "title": "Mentor intro: Marcus, forecasting, statistics and first jobs in the sector",
        "kind": "discussion",
        "skill_area": "data-leadership",
        "roles": ["la-data", "no-care-experience", "consultant", "other-private-sector"],
        "author": "marcus.lee",
        "days_ago": 85,
        "body": """Hello all. I've signed up as a mentor, so here's who I am and what I can help with.

I spent ten years in council performance teams, starting as a returns officer and ending as head of insight in a county, and the last five years consulting for councils and a couple of charities. I still think the 903 is the most interesting dataset in the country, and I'm only half joking.

**Happy to help with**

- forecasting and demand modelling: children in care, care leavers, placements
- statistics questions where you want a second opinion before it goes to senior leaders
- first jobs: CVs, interviews, "is this role right for me?"
- moving from another sector into children's services data

**Less useful on**

- Power BI internals (ask Lewis or Priya)
- anything about a specific supplier's database

How it works: post in the relevant area and tag me, or use the mentoring request button for a 30-minute call. I won't try to sell you anything, and if my company has an interest in a topic, I'll say so.""",
        "replies": [
            {
                "author": "jamie.holt",
                "body": """Hi Marcus, I've sent a mentoring request. I moved from retail six months ago, and I'd like to talk about how to get good at the statistics side without going back to university. The SQL and dashboards transferred fine. Confidence intervals and small numbers did not. Thanks for offering.""",
            },
            {
                "author": "lewis.grant",
                "body": """Welcome. And happy to take the Power BI questions: it's the only thing I know more about than Marcus. Between us we might cover one whole analyst.

To anyone new reading this: asking a mentor is not a big deal. Most questions take ten minutes to answer and save you a week.""",
            },
        ],
    },
    {
        "title": "Placement cost model in Excel keeps breaking when finance add a column",
        "kind": "question",
        "skill_area": "spreadsheet-modelling",
        "roles": ["la-data", "other-private-sector", "consultant"],
        "author": "ben.castellano",
        "days_ago": 66,
        "body": """Our placement cost model is an Excel workbook. It takes a monthly export from the finance system (one row per placement payment), looks up placement types from a children's services extract, and produces cost per child per week by placement type.

Each month, finance change something: a column is added, renamed or moved, and half my `VLOOKUP`s return `#N/A` or, worse, the wrong column without any error.

I can't move this out of Excel this year, because finance need to open and tweak it. What's the most robust way to build it so it survives someone else's export changing? I've heard Power Query recommended, but I haven't used it beyond clicking through the buttons.""",
        "replies": [
            {
                "author": "lewis.grant",
                "body": """Power Query is exactly the fix. The key idea is to select columns **by name**, not position, and to fail loudly when a column you need is missing.

A sketch of the import query:

```m
let
    Source = Excel.Workbook(File.Contents(FinanceExportPath), true),
    Payments = Source{[Item = "Payments", Kind = "Sheet"]}[Data],
    Required = {"PaymentRef", "ChildRef", "PeriodStart", "PeriodEnd", "Amount"},
    Missing = List.Difference(Required, Table.ColumnNames(Payments)),
    Checked = if List.IsEmpty(Missing)
        then Payments
        else error "Finance export is missing columns: " & Text.Combine(Missing, ", "),
    Selected = Table.SelectColumns(Checked, Required),
    Typed = Table.TransformColumnTypes(
        Selected,
        {{"PeriodStart", type date}, {"PeriodEnd", type date}, {"Amount", type number}}
    )
in
    Typed
```

New columns are ignored, moved columns don't matter, and a renamed column stops the refresh with a clear message instead of silently giving wrong numbers. `FinanceExportPath` is a named parameter, so finance can point it at the new file each month.""",
            },
            {
                "author": "jamie.holt",
                "body": """From five years of retail spreadsheets: also turn every range into a proper Excel table (Ctrl+T) and use `XLOOKUP` with column names against those tables instead of `VLOOKUP` with column numbers. It won't catch everything, but it stops the "wrong column, no error" problem, which is the dangerous one.""",
            },
            {
                "author": "marcus.lee",
                "body": """Both good. I'd add a reconciliation cell at the top of the summary sheet: total spend in the model against the total in the finance export, turning red if they differ by more than a pound. It's the cheapest test there is, and it'll catch the problems the other two miss.""",
            },
        ],
    },
    {
        "title": "Linking social care and health records when identifiers are patchy: what match rates do you get?",
        "kind": "question",
        "skill_area": "data-linkage-standards",
        "roles": ["other-public-sector", "la-data", "la-digital", "cg-data"],
        "author": "farah.qureshi",
        "days_ago": 58,
        "body": """We're linking a council's children's social care cohort to health records for a joint needs analysis, done inside our secure environment under an agreed DSA.

The social care records have a health identifier for only about 70% of children. For the rest, we have name, date of birth, sex and partial address history. On our first pass:

- exact match on health identifier: as expected
- exact match on name + date of birth: picks up some more, but misses spelling variations and name changes
- anything fuzzier: worries me, because a false match means one child's health data attached to another child

What match rates do others see, and how do you decide when a fuzzy match is good enough? I'm also worried the unmatched group isn't random, for example recently arrived children or children whose names have changed after adoption.""",
        "replies": [
            {
                "author": "tom.ashworth",
                "body": """We use tiers, and keep the tier on every matched record so the analysis can exclude the weaker ones:

1. health identifier exact
2. full name + date of birth + sex exact
3. normalised name (case, spaces, hyphens, common nickname list) + date of birth
4. probabilistic match above a threshold, using the Splink library in Python

For tier 4, we hand-review a random sample of matches just above the threshold and set it where the false-match rate is acceptably low for the purpose. For a needs analysis, that's a different level than for anything that touches an individual child's care.

Across tiers we've seen the high 80s to low 90s percent overall, but it varies a lot by age and by how good the source data is.""",
            },
            {
                "author": "deji.adeyemi",
                "body": """Your worry about the unmatched group is the right one. Report the match rate **by subgroup**: age, ethnicity, legal status, unaccompanied or not, time in care. If unaccompanied children match at 40% and everyone else at 95%, any finding about "children in care" is really a finding about the matched ones, and it needs saying.

Where you can, compare the matched and unmatched groups on the social care variables you do have. It's the cheapest way to show whether linkage bias could change the conclusions.""",
            },
            {
                "author": "ruth.okonjo",
                "body": """From an IG angle: keep the tier 4 review as small as you can and do it inside the secure environment. The reviewers are looking at identifiable records, so they need to be named in the DSA. It's an easy step to forget because it feels like quality assurance rather than "access".""",
            },
        ],
    },
    {
        "title": "Eclipse: getting form answers into a flat reporting table",
        "kind": "question",
        "skill_area": "eclipse",
        "roles": ["la-data", "la-digital", "other-private-sector", "supplier-partner"],
        "author": "lewis.grant",
        "days_ago": 39,
        "body": """I'm on a short contract helping a council that uses Eclipse build a Power BI report on child and family assessments. The data we need (for example, "was the child seen alone?" and the recommended outcome) lives in form answers, not in structured tables.

In their reporting copy, the form data comes out as one row per question per form, something like:

| form_id | question_key | answer_text |
|---|---|---|
| F-1001 | seen_alone | Yes |
| F-1001 | outcome | Child in need plan |
| F-1002 | seen_alone | No |

I need one row per form with a column per question. There are about 60 questions on the form, and I only need 8 of them. What's the sensible way to flatten this? And how do people cope when the form is revised and question keys change?""",
        "replies": [
            {
                "author": "tom.ashworth",
                "body": """That's a classic entity-attribute-value layout. Pivot only the keys you need, in a SQL view, so Power BI never sees the long table:

```sql
SELECT
    form_id,
    MAX(CASE WHEN question_key = 'seen_alone' THEN answer_text END) AS seen_alone,
    MAX(CASE WHEN question_key = 'outcome'    THEN answer_text END) AS outcome
FROM form_answers
WHERE question_key IN ('seen_alone', 'outcome')
GROUP BY form_id;
```

Conditional aggregation like this is easier to read and to extend than `PIVOT`, and it handles missing answers as nulls without fuss.

For form revisions, keep a small mapping table (`form_version`, `question_key`, `reporting_column`) and join through it. When the form changes, you add rows to the mapping instead of editing the view.""",
            },
            {
                "author": "grace.whitlow",
                "body": """Agree with the mapping table. I'd also add a check that reports any question key appearing in the data that *isn't* in the mapping. Form builders add and rename questions more often than anyone tells the reporting team, and that check is how you find out within a day rather than at year end.""",
            },
        ],
    },
    {
        "title": "pandas: keeping 903 dates as dates when the source mixes formats",
        "kind": "question",
        "skill_area": "python",
        "roles": ["la-data", "la-digital"],
        "author": "tom.ashworth",
        "days_ago": 20,
        "body": """I'm reading our 903 header and episode extracts into pandas to run some checks before submission. The date columns arrive as text in a mix of formats, because two different views feed the extract:

- `2024-04-01` from the newer view
- `01/04/2024` from the older one
- the odd blank

If I call `pd.to_datetime` without a format, it guesses, and I've caught it turning 3 April into 4 March on a few rows. If I pass `dayfirst=True`, the ISO ones still parse, but I don't trust it.

What's the safe pattern here? I'd rather fail loudly on a date I can't read than quietly get the month wrong. Invented example of the input:

```python
import pandas as pd

raw = pd.DataFrame({
    "CHILD": ["CHILD-0001", "CHILD-0002", "CHILD-0003", "CHILD-0004"],
    "DECOM": ["2024-04-01", "03/04/2024", "", "31/13/2024"],
})
```""",
        "replies": [
            {
                "author": "mei.chen",
                "body": """Parse each known format explicitly and combine the results. Never let pandas guess:

```python
import pandas as pd


def parse_known_dates(values: pd.Series) -> pd.Series:
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


parsed = parse_known_dates(raw["DECOM"])
unreadable = raw.loc[parsed.isna() & raw["DECOM"].str.strip().ne(""), ["CHILD", "DECOM"]]

if not unreadable.empty:
    raise ValueError(f"Unreadable DECOM values:\\n{unreadable.to_string(index=False)}")
```

Blanks stay as `NaT` (a missing date is sometimes legitimate), while anything non-blank that matches neither format stops the run. In your example that's the `31/13/2024` row, which is exactly what you want.

Read the file with `dtype=str` first so nothing is converted before you get to it.""",
            },
            {
                "author": "lewis.grant",
                "body": """Worth fixing upstream too: ask for both views to output ISO dates. Every tool reads `YYYY-MM-DD` the same way, and it sorts correctly as text. Until that happens, Mei's function is the right guard.

Power BI has the same trap, by the way. A text date column converted with the wrong locale setting swaps day and month without any warning.""",
            },
        ],
    },
    {
        "title": "R: counting working days for assessment timeliness, including bank holidays",
        "kind": "question",
        "skill_area": "r",
        "roles": ["la-data", "cg-data"],
        "author": "helen.moss",
        "days_ago": 4,
        "body": """I'm moving our assessment timeliness figures from Excel (`NETWORKDAYS` with a bank holiday range) into R, as a first step away from spreadsheets.

The measure: the number of assessments completed within 45 working days of the assessment start date, with working days excluding weekends and bank holidays in England.

I have a data frame of assessments with `assessment_id`, `start_date` and `completed_date`. I'd like:

1. a working-days figure for each assessment
2. a check that my R figures match the Excel ones, including the day-counting convention (does the start day count?)

I've seen several packages suggested, but I'd like to understand the logic rather than depend on something I can't explain to my manager.""",
        "replies": [
            {
                "author": "marcus.lee",
                "body": """The trick that makes this simple and fast is a calendar table with a running count of working days. The difference between two dates' counts is then the number of working days between them:

```r
library(dplyr)

build_calendar <- function(from, to, bank_holidays) {
  tibble(date = seq(from, to, by = "day")) |>
    mutate(
      is_working = as.integer(format(date, "%u")) <= 5 & !(date %in% bank_holidays),
      working_index = cumsum(is_working)
    )
}

calendar <- build_calendar(as.Date("2020-01-01"), as.Date("2030-12-31"), bank_holidays)

assessments |>
  left_join(select(calendar, date, start_index = working_index),
            by = c("start_date" = "date")) |>
  left_join(select(calendar, date, end_index = working_index),
            by = c("completed_date" = "date")) |>
  mutate(working_days = end_index - start_index,
         within_45 = working_days <= 45)
```

`format(date, "%u")` gives 1 for Monday to 7 for Sunday whatever your locale, unlike `weekdays()`.

This counts working days *after* the start date up to and including the completion date. Excel's `NETWORKDAYS` includes both ends, so it gives one more when the start day is a working day. Pick a convention, check it against your guidance, and write it down.""",
            },
            {
                "author": "mei.chen",
                "body": """For the bank holidays, GOV.UK publishes them as JSON at https://www.gov.uk/bank-holidays.json. We save a copy into the repository once a year rather than fetching it on every run, so a rebuild of last year's figures uses the same dates.

For the check, join your R output to the Excel figures on `assessment_id` and list every row where they differ by anything other than exactly 1. The ones that differ by exactly 1 are the convention. Anything else is a real discrepancy.""",
            },
        ],
    },
    {
        "title": "Timeliness targets: how do we stop the target driving the wrong behaviour?",
        "kind": "discussion",
        "skill_area": "performance-management",
        "roles": ["la-leadership", "la-social-care", "la-data", "cg-social-care"],
        "author": "nadia.sorensen",
        "days_ago": 60,
        "body": """Our assessment timeliness went from 78% to 94% in a year after we made it a headline target. On paper, a success.

Then our audits found more assessments closed on day 44 with thin analysis, and a rise in re-referrals for the same concerns a few months later. I can't prove the link, but I don't believe it's a coincidence.

I don't want to abandon timeliness, because delay harms children. But I want a performance framework that doesn't reward closing things quickly over getting them right. What have others done?

- Pairing measures?
- Dropping targets and keeping only the monitoring?
- Something else?""",
        "replies": [
            {
                "author": "rosa.delgado",
                "body": """This is the pattern the Munro review of child protection warned about back in 2011: when compliance measures become the goal, the work bends towards the measure.

What I've seen work in practice is pairing every timeliness measure with a **quality** measure drawn from the same cases, such as audit grades for a sample of assessments completed that month, and reporting them side by side. If timeliness rises while quality falls, the pair shows it straight away.

It also helps to show the distribution, not just the percentage within 45 days. A spike of completions on days 43 and 44 tells its own story.""",
            },
            {
                "author": "dan.fairweather",
                "body": """From the team end: when the target was the headline, my workers felt the clock more than the child. When our AD started asking about audit findings *before* asking about the percentage, the conversations in supervision changed within a month. The order in which leaders ask questions matters more than the framework document.""",
            },
            {
                "author": "sian.pryce",
                "body": """We kept the measure and dropped the target. Leaders now get timeliness as a trend with a control chart, plus the days-to-complete distribution. We only discuss it when it moves outside its usual range. It took the pressure off without losing sight of delay.

Nadia, the re-referral link is worth testing properly: compare re-referral rates for assessments closed in the last five days of the 45 with those closed earlier, with a big enough sample and some caution about the confounders.""",
            },
        ],
    },
    {
        "title": "New analyst question: contact, referral and assessment — what's the difference in practice?",
        "kind": "question",
        "skill_area": "social-care-practice",
        "roles": ["no-care-experience", "la-data", "la-social-care"],
        "author": "jamie.holt",
        "days_ago": 75,
        "body": """Six weeks into the job, and I keep getting these three muddled in my queries. I know the textbook version: a contact is any enquiry, some contacts become referrals, and some referrals lead to an assessment. But the data doesn't line up neatly.

- Some children have an assessment with no referral I can find.
- Some referrals are closed the same day with "no further action".
- Contacts sometimes have a "referral" tick box *and* a separate referral record.

Could someone explain what actually happens between a phone call coming in and an assessment starting, and which of these counts for which return? I don't want to build another report on a misunderstanding.""",
        "replies": [
            {
                "author": "dan.fairweather",
                "body": """The practice version, simplified:

1. **Contact.** Someone gets in touch: a school, the police, a relative, a health visitor. The front door team gathers information and decides what kind of response is needed. Many contacts end here, with advice or signposting to early help.
2. **Referral.** If the front door decides the child may need support from children's social care, the contact becomes a referral. That's a decision, not just a form.
3. **Assessment.** A social worker assesses the child's needs and the family's situation. The assessment usually starts at or soon after the referral.

Your oddities are mostly real practice: a referral closed with no further action can happen when new information arrives the same day. And an assessment without a referral can happen when a new assessment is started on an open case because circumstances change.""",
            },
            {
                "author": "helen.moss",
                "body": """The data angle: the CIN census counts **referrals** and **assessments**, not contacts. Contacts do appear in the Annex A lists and in most councils' own front door reporting, though.

For the "tick box and separate record" confusion, find out which one your system treats as the record of the decision. In ours, the tick box is a request and the referral record is the decision, and the two disagree more often than you'd hope. Ask your front door manager, not the data dictionary, because the dictionary is often out of date.""",
            },
        ],
    },
    {
        "title": "User research: we'd like to see how your team really prepares a statutory return",
        "kind": "discussion",
        "skill_area": "statutory-returns",
        "roles": ["cg-digital", "la-data", "la-digital", "supplier-partner"],
        "author": "owen.thackeray",
        "days_ago": 17,
        "body": """I'm a user researcher on a team that looks after data collection services for children's social care. We're starting a round of research on how returns are prepared *before* anything is uploaded.

We'd like to talk to:

- returns officers and analysts in councils of different sizes
- people who build returns with supplier tools, and people who build them by hand
- anyone who has had a difficult year with validation

What it involves: a 60-minute video call, where you talk us through your process using your own made-up examples or screenshots with all data removed. We will never ask to see real child-level data. We'll share a summary of findings with everyone who takes part.

If you're interested, reply here or send me a direct message through the forum. I'll explain consent and how we store notes before we book anything.""",
        "replies": [
            {
                "author": "helen.moss",
                "body": """Happy to take part. Small unitary, one-person returns team, and this was a difficult validation year (see my thread on rule 8869). I'll message you. It would be good to show you how much of the work happens in the weeks *before* the collection opens.""",
            },
        ],
    },
    {
        "title": "Business case for a data engineer post: what persuaded your finance panel?",
        "kind": "question",
        "skill_area": "data-leadership",
        "roles": ["la-leadership", "la-data", "la-digital", "consultant"],
        "author": "admin.joe",
        "days_ago": 46,
        "body": """I'm writing a business case for a permanent data engineer in our children's BI team. At the moment, analysts do the engineering work between other jobs. Our pipelines are fragile, and when they break, the returns slip.

The case goes to a corporate panel that sees dozens of bids, most of them framed as savings. We don't have a clean cashable saving. What we have:

- analyst hours lost to fixing broken extracts (I've tracked three months)
- two near-misses on statutory deadlines last year
- an inspection recommendation about the timeliness of management information

For those who've got a post like this approved, what argument landed? And did you frame it as risk, productivity or something else?""",
        "replies": [
            {
                "author": "sian.pryce",
                "body": """Risk landed for us, framed in the panel's language: "statutory returns are at risk of late or inaccurate submission, with reputational and inspection consequences." Then we showed the three-month log as evidence that it wasn't hypothetical.

We also costed the alternative, which made the post look cheap: an agency contractor for the same work, or a supplier's managed service.""",
            },
            {
                "author": "marcus.lee",
                "body": """Productivity can work if you're specific. "Analysts spent 22% of their time on pipeline fixes" is easy to dismiss. "That time would let us deliver the placement sufficiency analysis members have asked for twice" is harder to dismiss, because it names something a decision-maker wants and hasn't got.

I'd put the inspection recommendation first, though. Panels listen to Ofsted.""",
            },
            {
                "author": "nadia.sorensen",
                "body": """If your DCS or an AD will speak to it at panel, ask them. A sentence from a director about why the MI matters to practice counts for more than any spreadsheet. Ours did it in two minutes, and it was the only bid that day with a service director speaking for it.""",
            },
        ],
    },
    {
        "title": "RAG ratings in Power BI: colour-blind safe options that leaders still recognise",
        "kind": "discussion",
        "skill_area": "bi-visualisation",
        "roles": ["la-data", "other-private-sector", "la-leadership"],
        "author": "lewis.grant",
        "days_ago": 26,
        "body": """A question that comes up in every training session I run for councils: our scorecard uses red, amber and green, and one of the senior leaders is colour-blind. Red and green look almost the same to them. Leaders are attached to RAG, and nobody wants to retrain the whole organisation.

Options I usually suggest, in order of how much change they need:

1. keep RAG but add a shape or text label to every cell (●, ▲, ■ or the word itself)
2. switch to a colour-blind-safe palette, such as blue, orange and grey
3. drop RAG for direction-of-travel arrows plus a comparison value

For option 2, the Okabe–Ito palette is a good starting point:

| Use | Colour | Hex |
|---|---|---|
| Good | Blue | `#0072B2` |
| Watch | Orange | `#E69F00` |
| Concern | Vermilion | `#D55E00` |
| Neutral | Grey | `#999999` |

What have others done, and did leaders accept it?""",
        "replies": [
            {
                "author": "priya.n",
                "body": """We went with option 1 first because it needed no agreement from anyone. In Power BI, conditional formatting on the value can show an icon alongside the background colour, so each cell has a colour, a shape and the value. It took an afternoon.

Six months later, nobody objected when we moved to the blue and orange palette, because people were already reading the icons.""",
            },
            {
                "author": "mod.amira",
                "body": """We went further and dropped RAG entirely for operational measures. RAG hides the reason a measure is amber: is it below target, getting worse, or worse than neighbours? Now each tile shows the value, an arrow for the trend and a small note on the comparison.

Leaders grumbled for one meeting. The questions got better straight away, because people asked "why is it falling?" instead of "why is it amber?".""",
            },
        ],
    },
    {
        "title": "SSDA903: how are you recording the provider URN for unregistered provision?",
        "kind": "question",
        "skill_area": "ssda903",
        "roles": ["la-data", "cg-data"],
        "author": "priya.n",
        "days_ago": 2,
        "body": """We've had a small number of placements this year with providers that weren't registered with Ofsted at the time, and I'm not confident we've recorded the placement provider URN consistently for them in the 903.

At the moment, our system fills the URN field from the provider record. For these providers there is no URN, so the field is blank, and I'm not sure whether the return expects a placeholder value, a blank, or something else. Different colleagues remember different answers from previous years.

Before I go back to the guidance and the validation rules line by line, has anyone worked through this recently? In particular:

- what you put in the URN field for these episodes
- whether you had validation queries, and what the explanation to DfE looked like
- how you keep the provider record updated if the provider later registers

No details of the placements themselves, obviously. I'm only after the recording approach.""",
        "replies": [],
    },
    {
        "title": "Has anyone linked early help records to school attendance data?",
        "kind": "question",
        "skill_area": "data-linkage-standards",
        "roles": ["la-social-care", "la-data", "la-digital", "other-public-sector"],
        "author": "dan.fairweather",
        "days_ago": 1,
        "body": """Our early help service and my assessment team both suspect that a drop in school attendance is one of the earliest signs we miss. We'd like to look at whether attendance changes in the months before a referral to children's social care, for children who had early help first.

As far as I know, early help records are held in a separate module of our case management system, and attendance data sits with the education team in a different system.

Has anyone done this kind of linkage within a council? I'm interested in:

- which identifiers you matched on
- whether you needed a separate DPIA given it's all within one council
- what you found, even roughly
- whether the education team were willing partners

I'm not a data person, so I'm asking mainly to know what to request from our performance team.""",
        "replies": [],
    },
    {
        "title": "How are you recording kinship care arrangements in your case management system?",
        "kind": "question",
        "skill_area": "social-care-practice",
        "roles": ["cg-social-care", "la-social-care", "la-data", "care-experienced"],
        "author": "rosa.delgado",
        "days_ago": 34,
        "body": """I'm trying to understand, at a practical level, how councils record the different kinds of kinship care today. It comes up in every policy conversation, and the national data only sees part of the picture.

The arrangements I have in mind:

- children in care placed with family or friends as foster carers, including temporarily approved connected carers
- special guardianship orders and child arrangements orders with relatives
- informal arrangements where a relative steps in without any order, sometimes with a child in need plan and sometimes with no involvement at all

For each, where does it show up in your system, and could you count it reliably if asked? I'm not after figures, just a sense of how the recording works. Social workers' views are as welcome as analysts'.""",
        "replies": [
            {
                "author": "mod.amira",
                "body": """From the data side at Eastwick:

| Arrangement | Where it's recorded | Can we count it? |
|---|---|---|
| Family or friends foster care | Placement record, carer type | Yes, reliably |
| Temporary connected carer approval | Placement record plus an approval step | Mostly, with some lag |
| SGO or CAO after care | Legal status and reason for leaving care | Yes at the point of leaving care, poorly afterwards |
| SGO or CAO with no care history | Court work and support plan, if we're involved | Partly |
| Informal, with a CIN plan | Case notes and the plan text | Only by reading records |
| Informal, no involvement | Nowhere | No |

The last two rows are where most of the policy interest is, and they're the hardest to count. Anything that depends on free text isn't something I'd put a number on.""",
            },
            {
                "author": "dan.fairweather",
                "body": """Practice view: informal arrangements often start in a crisis on a Friday night. The plan says "child to stay with maternal aunt" and nobody records it as a living arrangement in a structured field, because there's no field that fits. A simple "current living arrangement" field, separate from placements, would help a lot.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """I lived with my nan informally for two years before I came into care. Looking at my records later, that whole period is a few lines in case notes. If it isn't recorded properly, the support kinship carers need doesn't get counted either, and my nan got almost none.""",
            },
        ],
    },
    {
        "title": "Is a three-month dip in re-referrals meaningful? SPC charts for monthly rates",
        "kind": "question",
        "skill_area": "statistics-methods",
        "roles": ["la-data", "la-leadership", "cg-data"],
        "author": "mod.amira",
        "days_ago": 7,
        "body": """Our monthly re-referral rate has fallen for three months in a row, and one of our heads of service wants to put it in the annual report as an improvement. Monthly referrals vary between about 150 and 230, so each month's rate is based on a fairly small number.

I'd like to show leaders whether this is a real change or normal variation, without a statistics lecture. A statistical process control chart seems the obvious choice, but I've only used them for counts, not for percentages with a different denominator each month.

Questions:

1. Is a p-chart the right type here?
2. What rules do people use for "this is a real signal"?
3. How do you explain the limits to non-analysts?""",
        "replies": [
            {
                "author": "deji.adeyemi",
                "body": """Yes, a p-chart suits a proportion with a changing denominator. The limits widen in low-volume months, which is exactly the honesty you want here. A minimal version:

```python
import numpy as np
import pandas as pd


def p_chart_limits(monthly: pd.DataFrame) -> pd.DataFrame:
    out = monthly.copy()
    p_bar = out["re_referrals"].sum() / out["referrals"].sum()
    se = np.sqrt(p_bar * (1 - p_bar) / out["referrals"])
    out["rate"] = out["re_referrals"] / out["referrals"]
    out["centre"] = p_bar
    out["lower"] = (p_bar - 3 * se).clip(lower=0)
    out["upper"] = (p_bar + 3 * se).clip(upper=1)
    return out
```

Common rules for a signal: a point outside the limits, or a run of several consecutive points on the same side of the centre line (seven or eight, depending on which rule set you adopt). Three months falling but still inside the limits isn't a signal by either rule.

Compute the centre line from a baseline period *before* the change you're testing, not from all the data, or the change pulls the line towards itself.""",
            },
            {
                "author": "marcus.lee",
                "body": """For explaining the limits, this phrasing has worked for me: "The shaded band is how much this figure normally moves around by chance, given how many referrals we get. Points inside it are ordinary months. We only say something has changed when a point goes outside the band, or when many points in a row sit on one side."

And suggest a fair alternative to the head of service: "too early to say, so we'll report again at six months." That usually goes down better than "no".""",
            },
        ],
    },
    {
        "title": "Subject access requests: is our analytics warehouse in scope?",
        "kind": "question",
        "skill_area": "information-governance",
        "roles": ["la-digital", "la-data", "care-experienced"],
        "author": "tom.ashworth",
        "days_ago": 68,
        "body": """Our records team has asked, for the first time, whether the children's data warehouse needs to be searched when a care leaver makes a subject access request for their records.

My instinct was "no, it's a copy of the case management system, so they get everything from the source". But the warehouse isn't *only* a copy. We also hold:

- derived flags, such as "placement stability concern" and a data quality "possible duplicate" marker
- nightly snapshots going back four years, including values later corrected in the source
- a few lookup tables that link children to analysis cohorts

I'd like to go back to the records team with a considered answer. Is any of this in scope, and how would we even search it efficiently?""",
        "replies": [
            {
                "author": "ruth.okonjo",
                "body": """The test is whether it's personal data about the requester, not where it sits. Most of your list is in scope:

- **Derived flags** are new information about the person, so they're in scope. They also need to make sense to the requester when disclosed, which is a good discipline in itself.
- **Historic snapshots**: the values later corrected may matter to someone who is checking what was recorded about them and when.
- **Cohort tables**: in scope if they say something about the person, such as "included in the care leavers' health cohort".

Practically, give the records team a search procedure that starts from a person id and lists every table holding it. Time limits for SARs are tight (one month, extendable in some cases), so it has to be quick. Check the detail with your DPO.""",
            },
            {
                "author": "kayleigh.robson",
                "body": """When I got my records, I didn't know what I was missing, because I didn't know what existed. If a flag about me called me a "stability concern", I'd want to know it was there and what it meant, partly because I'd want to challenge it.

Please make the explanation part of the search procedure, not an afterthought.""",
            },
            {
                "author": "tom.ashworth",
                "body": """Thanks both. We're building a view that takes a person id and returns every table and column where it appears, with a plain-English description of each derived flag. The descriptions have turned out to be useful internally as well, because two of our flags meant slightly different things to different analysts.""",
            },
        ],
    },
    {
        "title": "Online Q&A with the DfE Children's Services Returns Insight Team next month",
        "kind": "announcement",
        "skill_area": "statutory-returns",
        "roles": ["cg-leadership", "cg-data", "la-data", "la-leadership"],
        "author": "admin.joe",
        "days_ago": 6,
        "body": """We're hosting an online Q&A for forum members with colleagues from the DfE Children's Services Returns Insight Team. The team lead and two analysts will take part.

**Format**

- 60 minutes online, with captions
- the first 15 minutes on how they use council data once it's submitted
- the rest on your questions, collected in advance in this thread

**Ground rules**

- Questions about the returns in general are welcome: definitions, validation, how figures get published.
- It's not the place to resolve your council's individual validation queries. Use the normal support routes for those.
- As always, no child-level data in questions.

Please post your questions as replies below, and give each one a 👍 if you'd like it to be answered. We'll take the most-supported ones first. Joining details will be sent to members the week before.""",
        "replies": [
            {
                "author": "deji.adeyemi",
                "body": """Looking forward to it. One request: if a question is about a particular field, say which return and which year's guidance you're reading. Definitions change between years, and we'd like to answer the question you're actually asking. We'll post a written summary of the answers here afterwards.""",
            },
            {
                "author": "helen.moss",
                "body": """Question to start things off: how do you decide when a validation rule should be an error rather than a query? From a small authority, the difference in effort at our end is large, and it would help to understand the reasoning.""",
            },
        ],
    },
]


# Replies that each asker accepted as the answer: thread title and post number (2 is the
# first reply). The loader marks these questions solved.
ACCEPTED_ANSWERS = [
    ("CIN census error 8869: assessment authorised before it started — how do I trace it?", 2),
    ("Finding overlapping SSDA903 episodes before the validator does", 2),
    ("DAX measure for a rolling 12-month re-referral rate", 2),
    ("Sufficiency strategy: estimating how many more in-house foster carers we need", 2),
    ("pandas: keeping 903 dates as dates when the source mixes formats", 2),
    ("Subject access requests: is our analytics warehouse in scope?", 2),
]

# Members who found a post helpful: thread title, post number and their handles. The
# loader skips a handle that wrote the post, because members cannot vote for their own posts.
HELPFUL_VOTES = [
    ("CIN census error 8869: assessment authorised before it started — how do I trace it?", 2,
     ["helen.moss", "priya.n", "tom.ashworth", "jamie.holt"]),
    ("CIN census error 8869: assessment authorised before it started — how do I trace it?", 3,
     ["helen.moss", "dan.fairweather"]),
    ("Finding overlapping SSDA903 episodes before the validator does", 2,
     ["priya.n", "ben.castellano", "lewis.grant"]),
    ("Finding overlapping SSDA903 episodes before the validator does", 3,
     ["priya.n", "helen.moss"]),
    ("DAX measure for a rolling 12-month re-referral rate", 2,
     ["priya.n", "jamie.holt", "grace.whitlow"]),
    ("Sufficiency strategy: estimating how many more in-house foster carers we need", 2,
     ["ben.castellano", "sian.pryce"]),
    ("pandas: keeping 903 dates as dates when the source mixes formats", 2,
     ["tom.ashworth", "lewis.grant", "helen.moss", "farah.qureshi"]),
    ("Subject access requests: is our analytics warehouse in scope?", 2,
     ["tom.ashworth", "kayleigh.robson", "mod.amira"]),
    ("Ranking placements per child: ROW_NUMBER, RANK or DENSE_RANK?", 2,
     ["ben.castellano", "lewis.grant"]),
]


# Mentoring. Levels are 2 (working) to 4 (expert). Every person is fictional.
MENTOR_PROFILES: list[dict] = [
    {
        "handle": "mei.chen",
        "levels": {"power-bi": 4, "bi-visualisation": 4, "sql-data-engineering": 3},
        "capacity": 3,
        "formats": ["video", "messages"],
        "availability": "Wednesday afternoons, and messages any time",
        "offer": "Power BI data models, DAX measures, Power Query and dashboards that "
        "leadership teams read. I can help move a CIN census report out of Excel.",
        "systems": ["liquidlogic"],
        "returns": ["cin-census"],
    },
    {
        "handle": "sian.pryce",
        "levels": {"data-leadership": 4, "performance-management": 4, "insight-communication": 3, "ssda903": 3},
        "capacity": 2,
        "formats": ["in_person", "video"],
        "availability": "One morning a fortnight",
        "offer": "Leading a small data team, performance frameworks and KPIs, presenting "
        "SSDA903 and Annex A findings to senior leaders and inspectors.",
        "systems": ["mosaic"],
        "returns": ["ssda903", "annex-a"],
    },
    {
        "handle": "marcus.lee",
        "levels": {"python": 4, "git": 3, "programming-reproducible-analysis": 4, "sql-data-engineering": 4, "statistics-methods": 3},
        "capacity": 2,
        "formats": ["video", "messages"],
        "availability": "Thursday evenings",
        "offer": "Python and pandas for returns validation, SQL pipelines, Git for "
        "analysts, and reproducible reports that a colleague can rerun.",
        "systems": ["eclipse"],
        "returns": ["ssda903"],
    },
    {
        "handle": "mod.amira",
        "levels": {"data-quality": 4, "cin-census": 4, "information-governance": 3},
        "capacity": 1,
        "formats": ["video"],
        "availability": "Monday lunchtimes",
        "offer": "Data quality routines, CIN census validation errors and exception "
        "reports, and DPIAs for new data flows.",
        "systems": ["liquidlogic", "mosaic"],
        "returns": ["cin-census"],
    },
]

# Open requests: (skill area, current level, target level, importance 1 to 3).
MENTORING_REQUESTS: list[dict] = [
    {
        "handle": "tom.ashworth",
        "needs": [("power-bi", 1, 3, 3), ("bi-visualisation", 1, 2, 2)],
        "goals": "Build a Power BI model for our CIN census data, with DAX measures for "
        "re-referrals and a dashboard our leadership team will use.",
        "prefers_other_organisation": True,
        "formats": ["video"],
        "systems": ["liquidlogic"],
        "returns": ["cin-census"],
        "days_ago": 9,
    },
    {
        "handle": "ben.castellano",
        "needs": [("python", 0, 2, 3), ("git", 0, 2, 1)],
        "goals": "Automate our SSDA903 validation checks with Python and pandas, and keep "
        "the scripts in Git so the team can rerun them.",
        "prefers_other_organisation": False,
        "formats": [],
        "systems": ["eclipse"],
        "returns": ["ssda903"],
        "days_ago": 21,
    },
    {
        "handle": "helen.moss",
        "needs": [("information-governance", 1, 3, 3)],
        "goals": "Write our first DPIA for a data-sharing agreement with health partners.",
        "prefers_other_organisation": True,
        "formats": ["video", "messages"],
        "systems": [],
        "returns": [],
        "days_ago": 3,
    },
]

# Mentorships: an active one with sessions, and a completed one with feedback.
MENTORSHIPS: list[dict] = [
    {
        "mentor": "sian.pryce",
        "mentee": "priya.n",
        "state": "active",
        "needs": [("performance-management", 2, 3, 3), ("ssda903", 2, 3, 2)],
        "goals_text": "Present our SSDA903 performance to the leadership team with confidence.",
        "agreement_goals": [
            ("performance-management", 3, "Design a KPI pack for placement stability."),
            ("insight-communication", 3, "Present the quarterly SSDA903 story to the DCS."),
        ],
        "cadence": "fortnightly",
        "days_ago": 50,
        "months": 6,
        "sessions": [
            (42, 60, ["performance-management"], "Agreed which placement stability measures matter most."),
            (21, 45, ["insight-communication", "ssda903"], "Rehearsed the quarterly briefing with real questions."),
        ],
        "messages": [
            ("priya.n", "Thank you for today. I have drafted the KPI pack outline and shared it."),
            ("sian.pryce", "Looks good. Bring the draft chart of placement moves next time."),
        ],
    },
    {
        "mentor": "marcus.lee",
        "mentee": "ruth.okonjo",
        "state": "completed",
        "needs": [("sql-data-engineering", 1, 3, 3)],
        "goals_text": "Replace our hand-run SQL scripts with a scheduled, tested pipeline.",
        "agreement_goals": [
            ("sql-data-engineering", 3, "Write window-function queries for episode history."),
        ],
        "cadence": "weekly",
        "days_ago": 120,
        "months": 3,
        "sessions": [
            (110, 60, ["sql-data-engineering"], "Walked through LAG and LEAD over SSDA903 episodes."),
            (95, 45, ["sql-data-engineering"], "Built the first scheduled job with logging."),
            (80, 60, ["sql-data-engineering", "git"], "Put the pipeline in Git and reviewed it together."),
        ],
        "messages": [("ruth.okonjo", "The pipeline ran overnight without errors. Thank you!")],
        "feedback": [("ruth.okonjo", 5, "Practical and patient."), ("marcus.lee", 5, "A keen learner.")],
    },
]

# Ready-written reasons for moderators, as an admin might set them up.
CANNED_REASONS: list[dict] = [
    {
        "title": "Identifies a child or family",
        "text": "This included details that could identify a child or family. Use made-up examples instead.",
    },
    {
        "title": "Off topic",
        "text": "This is not about data work in children's services. Try a more suitable place.",
    },
    {
        "title": "Unkind",
        "text": "Please be kind: criticise the idea, never the person.",
    },
    {
        "title": "Advertising",
        "text": "Posts that advertise products or services are not allowed.",
    },
    {
        "title": "Heated discussion",
        "text": "This thread has become heated, so it is paused while everyone cools down.",
    },
]

# Learning resources in the signposting directory, as Centre staff might curate them.
LEARNING_RESOURCES: list[dict] = [
    {
        "title": "Explore education statistics",
        "provider": "Department for Education",
        "url": "https://explore-education-statistics.service.gov.uk/",
        "format": "tool",
        "cost": "free",
        "description": "The national tables behind most benchmarking of children's services, with a table tool.",
        "skill_areas": ["benchmarking", "statutory-returns"],
        "levels": [1, 2],
    },
    {
        "title": "Databases and SQL",
        "provider": "Software Carpentry",
        "url": "https://swcarpentry.github.io/sql-novice-survey/",
        "format": "course",
        "cost": "free",
        "description": "A short hands-on lesson: selecting, sorting, filtering, aggregating and joining tables.",
        "skill_areas": ["sql-data-engineering"],
        "levels": [1, 2],
    },
    {
        "title": "Power BI learning paths",
        "provider": "Microsoft Learn",
        "url": "https://learn.microsoft.com/en-us/training/powerplatform/power-bi",
        "format": "course",
        "cost": "free",
        "description": "Self-paced modules on modelling data, writing DAX measures and designing reports.",
        "skill_areas": ["power-bi", "bi-visualisation"],
        "levels": [1, 2, 3],
    },
    {
        "title": "Data visualisation: charts",
        "provider": "Government Analysis Function",
        "url": "https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-charts/",
        "format": "article",
        "cost": "free",
        "description": "Guidance on choosing and designing accessible charts for official statistics.",
        "skill_areas": ["bi-visualisation", "insight-communication"],
        "levels": [1, 2, 3],
    },
    {
        "title": "UK GDPR guidance and resources",
        "provider": "Information Commissioner's Office",
        "url": "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/",
        "format": "article",
        "cost": "free",
        "description": "The regulator's guidance on lawful bases, sharing, subject access and DPIAs.",
        "skill_areas": ["information-governance"],
        "levels": [1, 2, 3],
    },
    {
        "title": "R for Data Science",
        "provider": "Hadley Wickham, Mine Çetinkaya-Rundel and Garrett Grolemund",
        "url": "https://r4ds.hadley.nz/",
        "format": "book",
        "cost": "free",
        "description": "A free online book on importing, tidying, transforming and visualising data in R.",
        "skill_areas": ["r", "programming-reproducible-analysis"],
        "levels": [1, 2],
    },
]

# Members who finished a resource, with their rating from 1 to 5 (None for no rating).
RESOURCE_COMPLETIONS: list[tuple[str, str, int | None]] = [
    ("priya.n", "Power BI learning paths", 4),
    ("priya.n", "Data visualisation: charts", 5),
    ("tom.ashworth", "Databases and SQL", 5),
    ("helen.moss", "UK GDPR guidance and resources", 4),
    ("jamie.holt", "Explore education statistics", None),
]

# Endorsements, oldest first, so that the endorsers of later rows have an evidenced level
# of their own from earlier rows. ``evidence`` is ("post", thread title, post number),
# ("resource", thread title) or ("mentorship", mentor handle, mentee handle). Days count
# back from today.
ENDORSEMENTS: list[dict] = [
    {
        "endorser": "tom.ashworth", "member": "mei.chen", "skill_area": "ssda903", "level": 1,
        "relationship": "saw_in_forum", "evidence": ("post", "Finding overlapping SSDA903 episodes before the validator does", 2),
        "observed": (95, 95), "days_ago": 90,
        "statement": "Her window-function approach to overlapping episodes found problems our validator runs had missed for months.",
    },
    {
        "endorser": "helen.moss", "member": "mei.chen", "skill_area": "ssda903", "level": 1,
        "relationship": "reviewed_work", "evidence": ("post", "CIN census error 8869: assessment authorised before it started — how do I trace it?", 2),
        "observed": (100, 80), "days_ago": 78,
        "statement": "I reused her tracing query for our census errors and it held up against every case I checked by hand.",
    },
    {
        "endorser": "jamie.holt", "member": "sian.pryce", "skill_area": "social-care-practice", "level": 1,
        "relationship": "saw_in_forum", "evidence": ("resource", "Reading list: understanding the child's journey before you analyse it"),
        "observed": (60, 48), "days_ago": 47,
        "statement": "Her reading list is the clearest introduction to the child's journey that I have found as a new analyst.",
    },
    {
        "endorser": "dan.fairweather", "member": "sian.pryce", "skill_area": "social-care-practice", "level": 1,
        "relationship": "saw_in_forum", "evidence": ("resource", "Reading list: understanding the child's journey before you analyse it"),
        "observed": (55, 45), "days_ago": 44,
        "statement": "The list explains why each piece of guidance matters for the data, which is what our new starters need.",
    },
    {
        "endorser": "ben.castellano", "member": "marcus.lee", "skill_area": "finance-commissioning-sufficiency", "level": 1,
        "relationship": "saw_in_forum",
        "evidence": ("post", "Sufficiency strategy: estimating how many more in-house foster carers we need", 2),
        "observed": (70, 70), "days_ago": 66,
        "statement": "His step-by-step method for estimating carer numbers became the backbone of our sufficiency strategy.",
    },
    {
        "endorser": "marcus.lee", "member": "ruth.okonjo", "skill_area": "information-governance", "level": 1,
        "relationship": "mentored", "evidence": ("mentorship", "marcus.lee", "ruth.okonjo"),
        "observed": (120, 40), "days_ago": 38,
        "statement": "Over our mentorship she wrote her first DPIA for a data share and defended it well at the panel.",
    },
    {
        "endorser": "mei.chen", "member": "priya.n", "skill_area": "ssda903", "level": 2,
        "relationship": "worked_together", "evidence": ("post", "Finding overlapping SSDA903 episodes before the validator does", 4),
        "observed": (200, 30), "days_ago": 28,
        "statement": "She runs our 903 checks each month and now writes the fixes herself before the validator flags them.",
    },
    {
        "endorser": "sian.pryce", "member": "priya.n", "skill_area": "social-care-practice", "level": 2,
        "relationship": "mentored", "evidence": ("mentorship", "sian.pryce", "priya.n"),
        "observed": (50, 14), "days_ago": 12,
        "statement": "In our sessions she explained each step of a child's care journey and what every 903 field records about it.",
    },
    {
        "endorser": "grace.whitlow", "member": "priya.n", "skill_area": "case-management-systems", "level": 1,
        "relationship": "saw_in_forum",
        "evidence": ("post", "What would you want from a case management system's reporting layer?", 2),
        "observed": (40, 40), "days_ago": 20,
        "statement": "Her reply set out clearly which reporting tables analysts need from a case management system and why.",
    },
    {
        "endorser": "helen.moss", "member": "priya.n", "skill_area": "bi-visualisation", "level": 1,
        "relationship": "saw_in_forum",
        "evidence": ("post", "RAG ratings in Power BI: colour-blind safe options that leaders still recognise", 2),
        "observed": (25, 25), "days_ago": 9,
        "statement": "Her colour-blind safe RAG palette was easy to adopt, and our senior leaders read it without any trouble.",
    },
    {
        "endorser": "tom.ashworth", "member": "priya.n", "skill_area": "data-quality", "level": 1,
        "relationship": "saw_in_forum", "evidence": ("post", "Finding overlapping SSDA903 episodes before the validator does", 4),
        "observed": (95, 95), "days_ago": 6,
        "statement": "She turned the overlap check into a routine data quality report that her team acts on every month.",
    },
]

# CPD entries written by hand. Fields are those of the entry form, and days count back
# from today. Levels run from 0 (none) to 4 (expert).
CPD_ENTRIES: list[dict] = [
    {
        "handle": "priya.n",
        "title": "Rebuilt our SSDA903 validation checks",
        "activity_type": "work_project", "started_days_ago": 150, "ended_days_ago": 120, "hours": "18",
        "description": "Rewrote the monthly 903 checks as SQL so they run before the DfE validator.",
        "learning": "How episode overlaps and missing placement end dates arise in the case management system.",
        "impact": "Errors at submission fell from dozens to a handful, and the team fixes them weeks earlier.",
        "peer_reflection": "Reviewed the queries with our returns lead, who suggested checking legal status changes too.",
        "next_steps": "Share the checks on the forum and ask other councils what they test.",
        "skills": [("ssda903", 2, 3), ("data-quality", 2, 3)],
        "visibility": "mentor",
    },
    {
        "handle": "priya.n",
        "title": "Presented the quarterly performance pack to the DCS",
        "activity_type": "peer_discussion", "started_days_ago": 70, "ended_days_ago": None, "hours": "2",
        "description": "First time presenting the performance pack to the director and heads of service.",
        "learning": "Lead with three messages and keep the detailed tables in an appendix.",
        "impact": "The meeting agreed an action on re-referrals instead of asking for more charts.",
        "peer_reflection": "My mentor watched a rehearsal and helped me cut the slides from twenty to eight.",
        "next_steps": "Try the same approach with the corporate parenting board.",
        "skills": [("insight-communication", 1, 2), ("performance-management", 1, 2)],
        "visibility": "mentor",
    },
    {
        "handle": "priya.n",
        "title": "Placement cost model moved to a structured table",
        "activity_type": "work_project", "started_days_ago": 210, "ended_days_ago": 190, "hours": "10",
        "description": "Replaced hard-coded ranges in the placement cost workbook with structured tables.",
        "learning": "Structured references survive new columns from finance without breaking formulas.",
        "impact": "Finance now add columns without asking us to repair the model.",
        "peer_reflection": "",
        "next_steps": "",
        "skills": [("spreadsheet-modelling", 2, 3)],
        "visibility": "private",
    },
    {
        "handle": "priya.n",
        "title": "Accessible colour palettes for dashboards",
        "activity_type": "self_directed_study", "started_days_ago": 30, "ended_days_ago": None, "hours": "3",
        "description": "Read the Analysis Function chart guidance and tested palettes with a colour-blindness simulator.",
        "learning": "Never rely on colour alone: add labels or symbols to RAG ratings.",
        "impact": "Our dashboards now pass an accessibility check on colour contrast.",
        "peer_reflection": "",
        "next_steps": "Review the older dashboards the same way.",
        "skills": [("bi-visualisation", 1, 2)],
        "visibility": "public_summary",
    },
    {
        "handle": "tom.ashworth",
        "title": "Mosaic reporting tables walkthrough with our supplier",
        "activity_type": "event", "started_days_ago": 40, "ended_days_ago": None, "hours": "3.5",
        "description": "A supplier session on which Mosaic reporting tables hold workflow step dates.",
        "learning": "The completed date is on the step table, not on the form.",
        "impact": "Our timeliness measures now use the right date.",
        "peer_reflection": "Talked it through with colleagues on the forum, who had found the same problem.",
        "next_steps": "",
        "skills": [("mosaic", 1, 2)],
        "visibility": "private",
    },
]

# The drafted entries members then reviewed and saved with their own reflection:
# (handle, the drafted title's start, the reflection to add).
CONFIRMED_DRAFTS: list[tuple[str, str, str]] = [
    ("priya.n", "Endorsement from Mei Chen",
     "Mei has watched our 903 work all year, so this reflects months of checks rather than one answer."),
]

# Credentials members signed for an evidenced level: (handle, skill area slug).
CREDENTIALS: list[tuple[str, str]] = [
    ("priya.n", "ssda903"),
]
