# ruff: noqa: E501  (the titles are kept whole, as gettext msgids)
"""Titles of the reference data (fixtures/reference.json) for translation.

The database holds them in English; pages show them through gettext (`{% translate
objective.title %}`), so they must be in the catalogues. makemessages reads this
module; tests/test_translations.py fails when a fixture title is missing here.
"""

from django.utils.translation import gettext_noop

REFERENCE_TITLES = (
    gettext_noop("Africa"),
    gettext_noop("Economic Commission for Africa"),
    gettext_noop("Europe, North America and Central Asia (UNECE region)"),
    gettext_noop("Economic Commission for Europe"),
    gettext_noop("Latin America and the Caribbean"),
    gettext_noop("Economic Commission for Latin America and the Caribbean"),
    gettext_noop("Asia and the Pacific"),
    gettext_noop("Economic and Social Commission for Asia and the Pacific"),
    gettext_noop("Arab region"),
    gettext_noop("Economic and Social Commission for Western Asia"),
    gettext_noop(
        "Collect and utilize accurate and disaggregated data as a basis for evidence-based policies"
    ),
    gettext_noop("Data"),
    gettext_noop(
        "Minimize the adverse drivers and structural factors that compel people to leave their country of origin"
    ),
    gettext_noop("Minimize adverse drivers"),
    gettext_noop("Provide accurate and timely information at all stages of migration"),
    gettext_noop("Information provision"),
    gettext_noop(
        "Ensure that all migrants have proof of legal identity and adequate documentation"
    ),
    gettext_noop("Legal identity and documentation"),
    gettext_noop("Enhance availability and flexibility of pathways for regular migration"),
    gettext_noop("Regular pathways"),
    gettext_noop(
        "Facilitate fair and ethical recruitment and safeguard conditions that ensure decent work"
    ),
    gettext_noop("Recruitment and decent work"),
    gettext_noop("Address and reduce vulnerabilities in migration"),
    gettext_noop("Reduce vulnerabilities"),
    gettext_noop("Save lives and establish coordinated international efforts on missing migrants"),
    gettext_noop("Save lives"),
    gettext_noop("Strengthen the transnational response to smuggling of migrants"),
    gettext_noop("Counter smuggling"),
    gettext_noop(
        "Prevent, combat and eradicate trafficking in persons in the context of international migration"
    ),
    gettext_noop("Eradicate trafficking"),
    gettext_noop("Manage borders in an integrated, secure and coordinated manner"),
    gettext_noop("Manage borders"),
    gettext_noop(
        "Strengthen certainty and predictability in migration procedures for appropriate screening, assessment and referral"
    ),
    gettext_noop("Screening and referral"),
    gettext_noop(
        "Use migration detention only as a measure of last resort and work towards alternatives"
    ),
    gettext_noop("Alternatives to detention"),
    gettext_noop(
        "Enhance consular protection, assistance and cooperation throughout the migration cycle"
    ),
    gettext_noop("Consular protection"),
    gettext_noop("Provide access to basic services for migrants"),
    gettext_noop("Access to basic services"),
    gettext_noop("Empower migrants and societies to realize full inclusion and social cohesion"),
    gettext_noop("Inclusion and social cohesion"),
    gettext_noop(
        "Eliminate all forms of discrimination and promote evidence-based public discourse to shape perceptions of migration"
    ),
    gettext_noop("Eliminate discrimination"),
    gettext_noop(
        "Invest in skills development and facilitate mutual recognition of skills, qualifications and competences"
    ),
    gettext_noop("Skills development and recognition"),
    gettext_noop(
        "Create conditions for migrants and diasporas to fully contribute to sustainable development in all countries"
    ),
    gettext_noop("Migrant and diaspora contributions"),
    gettext_noop(
        "Promote faster, safer and cheaper transfer of remittances and foster financial inclusion of migrants"
    ),
    gettext_noop("Remittances"),
    gettext_noop(
        "Cooperate in facilitating safe and dignified return and readmission, as well as sustainable reintegration"
    ),
    gettext_noop("Dignified return and reintegration"),
    gettext_noop(
        "Establish mechanisms for the portability of social security entitlements and earned benefits"
    ),
    gettext_noop("Social protection"),
    gettext_noop(
        "Strengthen international cooperation and global partnerships for safe, orderly and regular migration"
    ),
    gettext_noop("International cooperation"),
    gettext_noop("People-centred"),
    gettext_noop("National sovereignty"),
    gettext_noop("Rule of law and due process"),
    gettext_noop("Sustainable development"),
    gettext_noop("Human rights"),
    gettext_noop("Gender-responsive"),
    gettext_noop("Child-sensitive"),
    gettext_noop("Whole-of-government approach"),
    gettext_noop("Whole-of-society approach"),
    gettext_noop("Dedicated events on the GCM"),
    gettext_noop("Participation in GCM review events"),
    gettext_noop("Capacity building for member States"),
    gettext_noop("Regional, interregional or intra-regional cooperation on GCM objectives"),
    gettext_noop("Information and awareness on the GCM and migration policies"),
    gettext_noop("A platform to exchange practices on the GCM"),
    gettext_noop("Influencing member States' migration policies"),
    gettext_noop("Synergies with other ISCMs in the same region"),
    gettext_noop("Cooperation with other stakeholders, intergovernmental and non-governmental"),
    gettext_noop("Global governance of migration"),
    gettext_noop("Synergies with partners"),
    gettext_noop("Migration and development"),
    gettext_noop("Human rights, especially of vulnerable migrants including children"),
    gettext_noop("Border management"),
    gettext_noop("Migrant integration"),
    gettext_noop("Protection"),
    gettext_noop("Return and repatriation"),
    gettext_noop("Insufficient resources"),
    gettext_noop("Differences in the constituencies of ISCMs"),
    gettext_noop("Emerging issues: climate change"),
    gettext_noop("Emerging issues: migration health and the COVID-19 pandemic"),
    gettext_noop("Irregular migration"),
    gettext_noop("Organized transnational crime (trafficking in persons, smuggling of migrants)"),
)
