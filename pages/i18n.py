"""The pages' words: Danish by default, English on request. One catalogue, keyed by
message id; a missing Danish word falls back to English, a missing English one to
the id, so a page never breaks on a word."""

from __future__ import annotations

from typing import Literal

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = ("da", "en")
DEFAULT: Language = "da"

MESSAGES: dict[str, dict[Language, str]] = {
    # Frame
    "service": {"da": "HOI - samtykke og adgang", "en": "HOI - consent and access"},
    "skip": {"da": "Spring til indholdet", "en": "Skip to content"},
    "switch_language": {"da": "English", "en": "Dansk"},
    "switch_language_name": {"da": "Read this page in English", "en": "Læs siden på dansk"},
    "sign_out": {"da": "Log ud", "en": "Sign out"},
    "signed_in_as": {"da": "Logget ind som", "en": "Signed in as"},
    "synthetic": {
        "da": "Alle data her er syntetiske.",
        "en": "All data here is synthetic.",
    },
    # The lawyers' what-if bench (pages/whatif.py)
    "whatif_title": {"da": "Hvad nu hvis: prøv en situation", "en": "What if: try a situation"},
    "whatif_intro": {
        "da": "Beskriv en situation og se politikkens afgørelse pr. datakategori med "
        "begrundelser, regel-id'er og henvisninger til håndbogen.",
        "en": "Describe a situation and see the policy's decision per data category with "
        "reasons, rule ids and citations into the handbook.",
    },
    "whatif_synthetic": {
        "da": "Barnet og forældrene er syntetiske og laves af siden; den læser aldrig rigtige "
        "registre eller kilder. Afgørelsen træffes af samme motor og politik som i drift.",
        "en": "The child and the parents are synthetic, made by this page; it never reads real "
        "registers or sources. The same engine and policy as in production decide.",
    },
    "whatif_handbook": {"da": "Håndbogen", "en": "The handbook"},
    "whatif_impact": {"da": "Seneste konsekvensrapport", "en": "Latest policy impact report"},
    "whatif_result": {"da": "Afgørelse", "en": "Decision"},
    "whatif_policy": {"da": "Motor og politik", "en": "Engine and policy"},
    "whatif_permit": {"da": "tilladt", "en": "permit"},
    "whatif_deny": {"da": "afvist", "en": "deny"},
    "whatif_citations": {"da": "Henvisninger", "en": "Citations"},
    "whatif_requester": {"da": "Fagpersonen og formålet", "en": "The professional and purpose"},
    "whatif_date": {"da": "Dato for opslaget", "en": "Day of the question"},
    "whatif_role": {"da": "Rolle", "en": "Role"},
    "whatif_organisation": {"da": "Organisation", "en": "Organisation"},
    "whatif_child": {"da": "Barnet", "en": "The child"},
    "whatif_born": {"da": "Barnets fødselsdato", "en": "The child's birth date"},
    "whatif_custody": {"da": "Forældremyndighed", "en": "Custody holders"},
    "whatif_mother": {"da": "mor", "en": "mother"},
    "whatif_father": {"da": "far", "en": "father"},
    "whatif_open_case": {"da": "åben sag", "en": "open case"},
    "whatif_treatment_course": {"da": "aktivt forløb", "en": "active course"},
    "whatif_consultation": {"da": "konsultation i dag", "en": "consultation today"},
    "whatif_source_organisation": {"da": "kildeorganisation", "en": "source organisation"},
    "whatif_professional": {"da": "fagperson", "en": "professional"},
    "whatif_gp": {"da": "Barnets egen læge", "en": "The child's GP"},
    "whatif_municipality": {"da": "Bopælskommune", "en": "Municipality of residence"},
    "whatif_relations": {"da": "Relation til barnet", "en": "Relation evidence"},
    "whatif_relation": {"da": "Relation", "en": "Relation"},
    "whatif_relation_org": {"da": "Hos", "en": "At"},
    "whatif_consents": {"da": "Samtykker", "en": "Consents"},
    "whatif_given_by": {"da": "Givet af", "en": "Given by"},
    "whatif_regime": {"da": "Hjemmel", "en": "Regime"},
    "whatif_category": {"da": "Kategori", "en": "Category"},
    "whatif_all_asked": {"da": "alle spurgte", "en": "all asked"},
    "whatif_all": {"da": "alle", "en": "all"},
    "whatif_recipient": {"da": "Modtager", "en": "Recipient"},
    "whatif_from": {"da": "Givet den", "en": "Given on"},
    "whatif_until": {"da": "Gyldig til", "en": "Valid until"},
    "whatif_objections_blocks": {"da": "Indsigelse og spærring", "en": "Objection and block"},
    "whatif_objection_by": {"da": "Indsigelse fra", "en": "Objection by"},
    "whatif_objection_category": {"da": "Indsigelsens kategori", "en": "Objection's category"},
    "whatif_block_kind": {"da": "Spærring af", "en": "Block on"},
    "whatif_block_target": {
        "da": "Spærret organisation eller person (id)",
        "en": "Blocked organisation or person (id)",
    },
    "whatif_block_category": {"da": "Spærringens kategori", "en": "Block's category"},
    "whatif_block_by": {"da": "Spærring fra", "en": "Block by"},
    "whatif_decider": {"da": "den der bestemmer", "en": "whoever decides"},
    "whatif_ask": {"da": "Der spørges om", "en": "Asked for"},
    "whatif_scenario_title": {"da": "Scenariets titel", "en": "Scenario title"},
    "whatif_cannot": {
        "da": "Situationen kan ikke afgøres",
        "en": "The situation cannot be decided",
    },
    "whatif_decide": {"da": "Vis afgørelsen", "en": "Show the decision"},
    "whatif_save": {"da": "Gem som scenarie (YAML)", "en": "Save as scenario (YAML)"},
    # Sign-in
    "sign_in": {"da": "Log ind", "en": "Sign in"},
    "sign_in_dev": {
        "da": "Udviklingslogin: vælg en syntetisk person. Siden udsteder et udviklingstoken "
        "til personen; tjenesten kontrollerer det som ethvert andet token.",
        "en": "Development sign-in: pick a synthetic person. The page mints a development "
        "token for them; the service checks it like any other token.",
    },
    "professionals": {"da": "Fagpersoner", "en": "Professionals"},
    "citizens": {"da": "Borgere (forældre og unge)", "en": "Citizens (parents and young people)"},
    "sign_in_idp": {
        "da": "Tjenesten har ingen identitetsudbyder sat op. Indsæt det adgangstoken, din "
        "organisations portal har givet dig; det kontrolleres som ethvert andet token.",
        "en": "This service has no identity provider set up. Paste the access token your "
        "organisation's portal gave you; it is checked like any other token.",
    },
    "access_token": {"da": "Adgangstoken", "en": "Access token"},
    "sign_in_oidc": {
        "da": "Log ind med din organisations login",
        "en": "Sign in with your organisation's login",
    },
    "sign_in_oidc_intro": {
        "da": "Du sendes til din organisations login og derefter tilbage hertil.",
        "en": "You are sent to your organisation's login and then back here.",
    },
    "sign_in_failed": {
        "da": "Log-ind kunne ikke gennemføres (afbrudt, for gammelt eller fra en anden "
        "browser). Prøv igen.",
        "en": "The sign-in could not be completed (interrupted, too old, or from another "
        "browser). Please try again.",
    },
    "signed_in": {"da": "Du er logget ind", "en": "You are signed in"},
    "signed_in_continue": {"da": "Fortsæt", "en": "Continue"},
    "session_invalid": {
        "da": "Dit login er ikke gyldigt (udløbet eller forfalsket). Log ind igen.",
        "en": "Your sign-in is not valid (expired or forged). Please sign in again.",
    },
    "signed_out": {"da": "Du er logget ud.", "en": "You are signed out."},
    "person_unknown": {"da": "Ukendt person.", "en": "Unknown person."},
    # Auditor
    "auditors": {"da": "Revisorer", "en": "Auditors"},
    "auditor_title": {"da": "Revision af adgangsloggen", "en": "Auditing the audit trail"},
    "auditor_intro": {
        "da": "Søg i revisionssporet: hvem slog hvad op om hvilket barn, med hvilket formål, "
        "udfald og regel. Siden kan kun læse.",
        "en": "Search the audit trail: who looked up what about which child, for what "
        "purpose, with which outcome and rule. The page only reads.",
    },
    "auditor_to_evaluation": {
        "da": "Pilotens evaluering (tabeller og grafer)",
        "en": "The pilot's evaluation (tables and charts)",
    },
    "auditor_chain": {"da": "Kædens tilstand", "en": "The chain's state"},
    "auditor_chain_ok": {
        "da": "Kæden er hel: {checked} poster kontrolleret.",
        "en": "The chain holds: {checked} records checked.",
    },
    "auditor_chain_broken": {
        "da": "Kæden er brudt ved seq {seq} ({checked} poster kontrolleret før bruddet):",
        "en": "The chain is broken at seq {seq} ({checked} records checked before it):",
    },
    "auditor_chain_range": {"da": "Kontrollerede poster (seq)", "en": "Records checked (seq)"},
    "auditor_head": {"da": "Signeret kædehoved", "en": "Signed chain head"},
    "auditor_checkpoint": {"da": "Seneste signerede checkpoint", "en": "Last signed checkpoint"},
    "auditor_checkpoint_is": {
        "da": "nr. {id} til seq {seq} ({purged} poster slettet før {cutoff}; signeret "
        "{created} med nøglen {key})",
        "en": "no. {id} through seq {seq} ({purged} records purged before {cutoff}; signed "
        "{created} with key {key})",
    },
    "auditor_no_checkpoint": {
        "da": "intet (intet er slettet endnu)",
        "en": "none (nothing has been purged yet)",
    },
    "auditor_checkpoints": {"da": "{n} checkpoints i alt", "en": "{n} checkpoints in all"},
    "auditor_none": {"da": "intet", "en": "none"},
    "auditor_search": {"da": "Søg", "en": "Search"},
    "auditor_requester": {"da": "Anmoder (id)", "en": "Requester (id)"},
    "auditor_organisation": {"da": "Organisation (id)", "en": "Organisation (id)"},
    "auditor_outcome": {"da": "Udfald", "en": "Outcome"},
    "auditor_any": {"da": "Alle", "en": "Any"},
    "auditor_from": {"da": "Fra (dato)", "en": "From (date)"},
    "auditor_to": {"da": "Til og med (dato)", "en": "To (date, inclusive)"},
    "auditor_search_button": {"da": "Søg", "en": "Search"},
    "auditor_rule_note": {
        "da": "Regel-filteret gælder for de {scanned} nyeste poster, søgningen gav på denne "
        "side; {shown} af dem nævner reglen. Gå videre til ældre poster for flere.",
        "en": "The rule filter applies to the {scanned} newest records the search gave on "
        "this page; {shown} of them name the rule. Go on to older records for more.",
    },
    "auditor_results": {"da": "Poster", "en": "Records"},
    "auditor_no_results": {"da": "Ingen poster passer.", "en": "No records match."},
    "auditor_kind": {"da": "Slags", "en": "Kind"},
    "auditor_who": {"da": "Hvem", "en": "Who"},
    "auditor_child": {"da": "Barn", "en": "Child"},
    "auditor_message": {"da": "besked", "en": "message"},
    "auditor_override_used": {"da": "værdispring", "en": "override"},
    "auditor_override_refused": {"da": "værdispring afvist", "en": "override refused"},
    "auditor_override_requested": {"da": "værdispring ønsket", "en": "override requested"},
    "auditor_older": {"da": "Ældre poster", "en": "Older records"},
    "auditor_newest": {"da": "Nyeste poster", "en": "Newest records"},
    "auditor_back": {"da": "Tilbage til søgningen", "en": "Back to the search"},
    "kind_decision": {"da": "afgørelse", "en": "decision"},
    "kind_disclosure": {"da": "udlevering", "en": "disclosure"},
    "kind_registry_read": {"da": "læsning af registret", "en": "registry read"},
    "kind_registry_write": {"da": "ændring i registret", "en": "registry write"},
    "kind_override_attempt": {"da": "forsøg på værdispring", "en": "override attempt"},
    "outcome_permit": {"da": "tilladt", "en": "permit"},
    "outcome_deny": {"da": "afvist", "en": "deny"},
    "outcome_partial": {"da": "delvis", "en": "partial"},
    "outcome_disclosed": {"da": "udleveret", "en": "disclosed"},
    "outcome_recorded": {"da": "registreret", "en": "recorded"},
    "evaluation_title": {"da": "Pilotens evaluering", "en": "The pilot's evaluation"},
    "evaluation_intro": {
        "da": "Bygget alene af revisionssporets metadata. Hvert tal tæller mindst {minimum} "
        "forskellige børn; mindre tal, og tal der ville afsløre dem, er skjult. Tallene "
        "findes også som CSV.",
        "en": "Built only from the audit trail's metadata. Every figure counts at least "
        "{minimum} distinct children; smaller figures, and figures that would give them "
        "away, are hidden. The numbers are also in CSV.",
    },
    "evaluation_show": {"da": "Vis perioden", "en": "Show the period"},
    "evaluation_charts": {"da": "Grafer", "en": "Charts"},
    "evaluation_no_charts": {
        "da": "Intet tal i perioden kan offentliggøres som graf.",
        "en": "No figure in the period can be published as a chart.",
    },
    "evaluation_numbers_below": {
        "da": "tallene står i tabellerne nedenfor",
        "en": "the numbers are in the tables below",
    },
    "evaluation_tables": {"da": "Tabeller", "en": "Tables"},
    "evaluation_suppressed": {"da": "skjult", "en": "suppressed"},
    # Professional
    "find_child": {"da": "Find et barn", "en": "Find a child"},
    "cpr": {"da": "Barnets CPR-nummer", "en": "The child's CPR number"},
    "cpr_hint": {"da": "10 cifre, uden bindestreg", "en": "10 digits, no dash"},
    "purpose": {"da": "Formål", "en": "Purpose"},
    "case_reference": {"da": "Sagsnummer (valgfrit)", "en": "Case reference (optional)"},
    "show_overview": {"da": "Vis overblik", "en": "Show overview"},
    "overview_title": {"da": "Overblik over barnet", "en": "Overview of the child"},
    "overview_intro": {
        "da": "Det du må se, pr. kategori, og det der er tilbageholdt og hvorfor.",
        "en": "What you may see, per category, and what is withheld and why.",
    },
    "permitted": {"da": "Det du må se", "en": "What you may see"},
    "withheld": {"da": "Tilbageholdt", "en": "Withheld"},
    "nothing_permitted": {"da": "Intet er tilladt at vise.", "en": "Nothing may be shown."},
    "nothing_withheld": {"da": "Intet er tilbageholdt.", "en": "Nothing is withheld."},
    "no_records": {"da": "Ingen oplysninger.", "en": "No records."},
    "rule": {"da": "Regel", "en": "Rule"},
    "legal_basis": {"da": "Lovgrundlag", "en": "Legal basis"},
    "policy_revision": {"da": "Politikversion", "en": "Policy revision"},
    "decision": {"da": "Afgørelse", "en": "Decision"},
    "freshness": {"da": "Kilder og aktualitet", "en": "Sources and freshness"},
    "fetched_at": {"da": "Hentet", "en": "Fetched"},
    "source": {"da": "Kilde", "en": "Source"},
    "category": {"da": "Kategori", "en": "Category"},
    "status": {"da": "Status", "en": "Status"},
    "records": {"da": "Poster", "en": "Records"},
    "complete": {"da": "komplet", "en": "complete"},
    "partial": {"da": "delvis", "en": "partial"},
    "source_ok": {"da": "svarede", "en": "answered"},
    "source_timeout": {"da": "svarede ikke i tide", "en": "timed out"},
    "source_error": {"da": "fejl", "en": "error"},
    "why": {"da": "Hvorfor", "en": "Why"},
    "to_make_visible": {
        "da": "Hvad der ville gøre det synligt",
        "en": "What would make it visible",
    },
    "would_send": {
        "da": "Det ville give dig lov til at sende denne besked.",
        "en": "It would let you send this message.",
    },
    "to_make_possible": {
        "da": "Hvad der ville gøre det muligt",
        "en": "What would make it possible",
    },
    "would_allow": {
        "da": "Det ville give adgang til: {what}.",
        "en": "It would allow you to see: {what}.",
    },
    "override_flag": {
        "da": "Spærringen er tilsidesat (værdispring). Familien kan se det i sin log.",
        "en": "The block is set aside (override). The family sees this in its log.",
    },
    "override_used_category": {"da": "vist ved værdispring", "en": "shown by override"},
    "override_possible": {
        "da": "Som sundhedsperson kan du tilsidesætte spærringen af vægtige grunde.",
        "en": "As a health professional you may set the block aside for a weighty reason.",
    },
    "override_open": {"da": "Tilsidesæt spærringen …", "en": "Set the block aside …"},
    "override_title": {
        "da": "Tilsidesæt familiens spærring (værdispring)",
        "en": "Set the family's block aside (override)",
    },
    "override_warning": {
        "da": "Familien vil kunne se i sin log, at du har tilsidesat spærringen, hvornår, og "
        "den begrundelse du skriver her.",
        "en": "The family will see in its log that you set the block aside, when, and the "
        "reason you write here.",
    },
    "override_grounds": {"da": "Grundlag", "en": "Grounds"},
    "grounds_citizen_consents": {
        "da": "Borgeren giver samtykke nu",
        "en": "The citizen consents now",
    },
    "grounds_citizen_unreachable": {
        "da": "Borgeren kan ikke nås, og hensynet til barnet vejer tungere",
        "en": "The citizen cannot be reached, and the child's interest weighs heavier",
    },
    "override_reason": {
        "da": "Begrundelse (mindst 10 tegn)",
        "en": "Reason (at least 10 characters)",
    },
    "override_confirm": {
        "da": "Jeg forstår, at familien ser dette",
        "en": "I understand that the family will see this",
    },
    "override_submit": {"da": "Tilsidesæt og vis", "en": "Set aside and show"},
    "override_refused": {"da": "Tilsidesættelsen blev afvist", "en": "The override was refused"},
    "cancel": {"da": "Annullér", "en": "Cancel"},
    "write_message": {"da": "Skriv en besked", "en": "Write a message"},
    "message_title": {"da": "Besked om barnet", "en": "Message about the child"},
    "message_to": {"da": "Til", "en": "To"},
    "message_topic": {"da": "Emne", "en": "Topic"},
    "message_subject": {"da": "Overskrift", "en": "Subject"},
    "message_text": {"da": "Tekst", "en": "Text"},
    "message_send": {"da": "Send", "en": "Send"},
    "message_queued": {
        "da": "Beskeden er afsendt (i kø til levering). Besked-id: {id}.",
        "en": "The message is sent (queued for delivery). Message id: {id}.",
    },
    "message_refused": {"da": "Beskeden blev ikke sendt", "en": "The message was not sent"},
    "back_to_overview": {"da": "Tilbage til overblikket", "en": "Back to the overview"},
    "topic_coordination": {"da": "Koordinering", "en": "Coordination"},
    "topic_treatment": {"da": "Behandling", "en": "Treatment"},
    "topic_report_of_concern": {"da": "Underretning", "en": "Report of concern"},
    "topic_referral": {"da": "Henvisning", "en": "Referral"},
    "topic_medical_certificate": {"da": "Lægeattest", "en": "Medical certificate"},
    "topic_status_report": {"da": "Statusrapport", "en": "Status report"},
    "not_professional": {
        "da": "Denne side er for fagpersoner.",
        "en": "This page is for professionals.",
    },
    "not_citizen": {
        "da": "Denne side er for familien (forældre og unge fra 15 år).",
        "en": "This page is for the family (parents and young people from 15).",
    },
    "refused": {"da": "Afvist", "en": "Refused"},
    "error": {"da": "Noget gik galt", "en": "Something went wrong"},
    # Family
    "family_title": {"da": "Min log og Min spærring", "en": "My log and my blocks"},
    "family_choose": {"da": "Vælg barn", "en": "Choose the child"},
    "family_cpr": {
        "da": "CPR-nummer på barnet (eller dit eget, hvis du er fyldt 15)",
        "en": "The child's CPR number (or your own, from 15)",
    },
    "show": {"da": "Vis", "en": "Show"},
    "access_log": {
        "da": "Hvem har set oplysninger om barnet",
        "en": "Who looked at the child's data",
    },
    "access_log_empty": {
        "da": "Ingen har slået barnet op.",
        "en": "No one has looked the child up.",
    },
    "when": {"da": "Hvornår", "en": "When"},
    "who": {"da": "Hvem", "en": "Who"},
    "what": {"da": "Hvad", "en": "What"},
    "shown": {"da": "vist", "en": "shown"},
    "not_shown": {"da": "ikke vist", "en": "not shown"},
    "override_in_log": {"da": "Værdispring", "en": "Override"},
    "override_requested_log": {
        "da": "Bad om værdispring - afvist",
        "en": "Asked to set the block aside - refused",
    },
    "the_family": {"da": "Familien", "en": "The family"},
    "act_registry.read": {
        "da": "Så samtykker, indsigelser og spærringer",
        "en": "Looked at the consents, objections and blocks",
    },
    "act_consent.record": {"da": "Samtykke registreret", "en": "Consent recorded"},
    "act_consent.revoke": {"da": "Samtykke trukket tilbage", "en": "Consent revoked"},
    "act_objection.record": {"da": "Indsigelse registreret", "en": "Objection recorded"},
    "act_objection.withdraw": {"da": "Indsigelse trukket tilbage", "en": "Objection withdrawn"},
    "act_block.record": {"da": "Spærring sat", "en": "Block set"},
    "act_block.lift": {"da": "Spærring ophævet", "en": "Block lifted"},
    "consents": {"da": "Samtykker", "en": "Consents"},
    "consents_empty": {"da": "Ingen samtykker.", "en": "No consents."},
    "given_by": {"da": "Givet af", "en": "Given by"},
    "to_whom": {"da": "Til", "en": "To"},
    "for_what": {"da": "Til hvad", "en": "For what"},
    "until": {"da": "Indtil", "en": "Until"},
    "withdraw": {"da": "Træk samtykket tilbage", "en": "Withdraw the consent"},
    "withdraw_effect": {
        "da": "{to} vil ikke længere kunne se {what} på grundlag af dette samtykke.",
        "en": "{to} will no longer see {what} on the strength of this consent.",
    },
    "done_consent_revoked": {
        "da": "Samtykket er trukket tilbage. Fra nu af kan {to} ikke længere se {what} på "
        "grundlag af det.",
        "en": "The consent is withdrawn. From now on {to} can no longer see {what} on the "
        "strength of it.",
    },
    "objections": {"da": "Indsigelser", "en": "Objections"},
    "objections_empty": {"da": "Ingen indsigelser.", "en": "No objections."},
    "objection_new": {"da": "Gør indsigelse", "en": "Object"},
    "objection_all": {"da": "alle kategorier", "en": "every category"},
    "objection_everyone": {"da": "alle", "en": "everyone"},
    "objection_withdraw": {"da": "Træk indsigelsen tilbage", "en": "Withdraw the objection"},
    "done_objection_recorded": {
        "da": "Indsigelsen er registreret. Fra nu af bliver {what} ikke vist til {to}, heller "
        "ikke på grundlag af et samtykke.",
        "en": "The objection is recorded. From now on {what} is not shown to {to}, not even on "
        "the strength of a consent.",
    },
    "done_objection_withdrawn": {
        "da": "Indsigelsen er trukket tilbage. {what} kan igen vises til {to}, hvor der er "
        "lovhjemmel eller samtykke.",
        "en": "The objection is withdrawn. {what} may again be shown to {to} where a law or "
        "a consent allows it.",
    },
    "blocks": {"da": "Spærringer", "en": "Blocks"},
    "blocks_empty": {"da": "Ingen spærringer.", "en": "No blocks."},
    "block_new": {"da": "Spær for en organisation", "en": "Block an organisation"},
    "block_target": {"da": "Organisation", "en": "Organisation"},
    "block_set": {"da": "Sæt spærring", "en": "Set the block"},
    "block_sub_units": {
        "da": "Også organisationens underenheder",
        "en": "Also the organisation's sub-units",
    },
    "block_categories": {
        "da": "Kun disse kategorier (ingen valgt: alt)",
        "en": "Only these categories (none chosen: everything)",
    },
    "block_lift": {"da": "Ophæv spærringen", "en": "Lift the block"},
    "block_from": {"da": "Fra", "en": "From"},
    "done_block_set": {
        "da": "Spærringen er sat. {to} kan nu ikke se {what}. En sundhedsperson kan "
        "tilsidesætte den af vægtige grunde; det vil du kunne se i loggen.",
        "en": "The block is set. {to} can no longer see {what}. A health professional may set "
        "it aside for a weighty reason; you will see that in the log.",
    },
    "done_block_lifted": {
        "da": "Spærringen er ophævet. {to} kan igen se {what}, hvor der er lovhjemmel eller "
        "samtykke.",
        "en": "The block is lifted. {to} can again see {what} where a law or a consent allows it.",
    },
    "everything": {"da": "noget om barnet", "en": "anything about the child"},
    "active": {"da": "gælder", "en": "in force"},
    "state_active": {"da": "gælder", "en": "in force"},
    "state_expired": {"da": "udløbet", "en": "expired"},
    "state_revoked": {"da": "trukket tilbage", "en": "withdrawn"},
    "state_superseded": {"da": "erstattet", "en": "superseded"},
    "state_withdrawn": {"da": "trukket tilbage", "en": "withdrawn"},
    "state_lifted": {"da": "ophævet", "en": "lifted"},
    "state_scheduled": {"da": "planlagt", "en": "scheduled"},
    "state_lapsed": {"da": "bortfaldet", "en": "lapsed"},
    "action_refused": {"da": "Handlingen blev afvist", "en": "The action was refused"},
    # Reasons, in plain words
    "reason_missing_consent": {
        "da": "Der mangler samtykke fra: {persons}.",
        "en": "Consent is missing from: {persons}.",
    },
    "fix_missing_consent": {
        "da": "Bed familien om et skriftligt samtykke ({regime}) fra {persons}, der nævner din "
        "organisation.",
        "en": "Ask the family for a written consent ({regime}) from {persons} naming your "
        "organisation.",
    },
    "reason_consent_expired": {
        "da": "Samtykket er udløbet.",
        "en": "The consent has lapsed.",
    },
    "fix_consent_expired": {
        "da": "Bed familien om et nyt samtykke ({regime}).",
        "en": "Ask the family for a new consent ({regime}).",
    },
    "reason_no_relation": {
        "da": "Du har ingen aktiv relation til barnet (fx henvisning, forløb, sag eller "
        "konsultation).",
        "en": "You have no active relation to the child (a referral, course, case or "
        "consultation).",
    },
    "fix_no_relation": {
        "da": "En aktiv relation mellem dig og barnet.",
        "en": "An active relation between you and the child.",
    },
    "reason_blocked": {
        "da": "Spærret på familiens anmodning.",
        "en": "Blocked at the family's request.",
    },
    "fix_blocked": {
        "da": "Familien ophæver spærringen. En sundhedsperson kan tilsidesætte den af vægtige "
        "grunde; det vises i familiens log.",
        "en": "The family lifts the block. A health professional may set it aside for a "
        "weighty reason, which shows in the family's log.",
    },
    "reason_withheld_by_block": {
        "da": "En del er tilbageholdt på familiens anmodning (spærring).",
        "en": "Part of it is withheld at the family's request (a block).",
    },
    "reason_objection": {
        "da": "Familien har gjort indsigelse.",
        "en": "The family has objected.",
    },
    "fix_objection": {
        "da": "Den der gjorde indsigelse, trækker den tilbage.",
        "en": "The person who objected withdraws the objection.",
    },
    "reason_no_legal_basis": {
        "da": "Der er intet lovgrundlag for, at din rolle ser dette til dette formål.",
        "en": "No legal basis lets your role see this for this purpose.",
    },
    "fix_no_legal_basis": {
        "da": "Intet: ingen lovlig vej giver denne rolle adgang til dette formål.",
        "en": "Nothing: no legal route lets this role see this for this purpose.",
    },
    "reason_health_professional_required": {
        "da": "Kun en autoriseret sundhedsperson må slå dette op uden samtykke.",
        "en": "Only an authorised health professional may look this up without consent.",
    },
    "reason_missing_fact": {
        "da": "Et register svarede ikke, så intet vises.",
        "en": "A register did not answer, so nothing is shown.",
    },
    "fix_retry": {"da": "Prøv igen om lidt.", "en": "Try again in a moment."},
}

_CATEGORIES: dict[str, dict[Language, str]] = {
    "psychiatry_appointments": {
        "da": "Aftaler i børne- og ungdomspsykiatrien",
        "en": "Appointments in child and adolescent psychiatry",
    },
    "psychiatry_contacts": {
        "da": "Kontaktpunkter i børne- og ungdomspsykiatrien",
        "en": "Contact points in child and adolescent psychiatry",
    },
    "municipal_case_status": {
        "da": "Aktiv kommunal sag og ansvarlig enhed",
        "en": "Active municipal case and responsible unit",
    },
    "municipal_contacts": {
        "da": "Sagsbehandler og enhed i kommunen",
        "en": "Municipal caseworker and unit",
    },
    "school_daycare": {"da": "Skole eller dagtilbud", "en": "School or daycare"},
    "child_identity": {"da": "Barnets identitet", "en": "The child's identity"},
    "correspondence": {"da": "Beskeder", "en": "Messages"},
}

_FIELDS: dict[str, dict[Language, str]] = {
    "date": {"da": "Dato", "en": "Date"},
    "time": {"da": "Tid", "en": "Time"},
    "department": {"da": "Afdeling", "en": "Department"},
    "status": {"da": "Status", "en": "Status"},
    "section": {"da": "Afsnit", "en": "Section"},
    "phone": {"da": "Telefon", "en": "Phone"},
    "secure_mail": {"da": "Sikker mail", "en": "Secure mail"},
    "sor_id": {"da": "SOR-id", "en": "SOR id"},
    "recipient": {"da": "Skriv til", "en": "Write to"},
    "has_active_case": {"da": "Aktiv sag", "en": "Active case"},
    "responsible_unit": {"da": "Ansvarlig enhed", "en": "Responsible unit"},
    "caseworker_name": {"da": "Sagsbehandler", "en": "Caseworker"},
    "unit": {"da": "Enhed", "en": "Unit"},
    "institution_name": {"da": "Institution", "en": "Institution"},
    "institution_type": {"da": "Type", "en": "Type"},
    "class_or_group": {"da": "Klasse eller gruppe", "en": "Class or group"},
    "name": {"da": "Navn", "en": "Name"},
    "age": {"da": "Alder", "en": "Age"},
    "custody_holders": {"da": "Forældremyndighed", "en": "Custody holders"},
}

_PURPOSES: dict[str, dict[Language, str]] = {
    "current_treatment": {"da": "Aktuel behandling", "en": "Current treatment"},
    "treatment_preparation": {"da": "Forberedelse af behandling", "en": "Preparing treatment"},
    "treatment_follow_up": {"da": "Opfølgning på behandling", "en": "Treatment follow-up"},
    "social_case_work": {"da": "Socialfaglig sagsbehandling", "en": "Social case work"},
    "special_education_advice": {
        "da": "Specialpædagogisk rådgivning",
        "en": "Special education advice",
    },
    "coordination": {"da": "Koordinering", "en": "Coordination"},
    "report_of_concern": {"da": "Underretning", "en": "Report of concern"},
    "registry": {"da": "Samtykkeregistret", "en": "The registry"},
}

_ROLES: dict[str, dict[Language, str]] = {
    "auditor": {"da": "Revisor", "en": "Auditor"},
    "municipal_caseworker": {
        "da": "Sagsbehandler (familieafdeling)",
        "en": "Municipal caseworker (family department)",
    },
    "ppr_psychologist": {"da": "PPR-psykolog", "en": "PPR psychologist"},
    "gp": {"da": "Praktiserende læge", "en": "General practitioner"},
    "bup_psychiatrist": {"da": "Børne- og ungdomspsykiater", "en": "Child psychiatrist (BUP)"},
    "bup_psychologist": {"da": "Psykolog i BUP", "en": "Psychologist (BUP)"},
    "bup_social_worker": {"da": "Socialrådgiver i BUP", "en": "Social worker (BUP)"},
    "bup_medical_secretary": {"da": "Lægesekretær i BUP", "en": "Medical secretary (BUP)"},
    "citizen": {"da": "Borger", "en": "Citizen"},
}

_PEOPLE: dict[str, dict[Language, str]] = {
    "the young person": {"da": "den unge selv", "en": "the young person"},
    "the child": {"da": "barnet", "en": "the child"},
    "a former custody holder": {
        "da": "en tidligere indehaver af forældremyndigheden",
        "en": "a former custody holder",
    },
    "the custody holder registered as mother": {
        "da": "forældremyndighedsindehaveren registreret som mor",
        "en": "the custody holder registered as mother",
    },
    "the custody holder registered as father": {
        "da": "forældremyndighedsindehaveren registreret som far",
        "en": "the custody holder registered as father",
    },
    "the sole custody holder": {
        "da": "den eneste indehaver af forældremyndigheden",
        "en": "the sole custody holder",
    },
    "the first custody holder": {
        "da": "den første indehaver af forældremyndigheden",
        "en": "the first custody holder",
    },
    "the second custody holder": {
        "da": "den anden indehaver af forældremyndigheden",
        "en": "the second custody holder",
    },
}

_REGIMES: dict[str, dict[Language, str]] = {
    "sul-43-1": {"da": "sundhedsloven § 43, stk. 1", "en": "Sundhedsloven § 43(1)"},
    "sul-41-1": {"da": "sundhedsloven § 41, stk. 1", "en": "Sundhedsloven § 41(1)"},
    "sul-42a-3": {"da": "sundhedsloven § 42 a, stk. 3", "en": "Sundhedsloven § 42 a(3)"},
    "fvl-28-2-1": {
        "da": "forvaltningsloven § 28, stk. 2, nr. 1",
        "en": "Forvaltningsloven § 28(2)(1)",
    },
    "rsl-11a-1": {
        "da": "retssikkerhedsloven § 11 a, stk. 1",
        "en": "Retssikkerhedsloven § 11 a(1)",
    },
}

_VALUES: dict[str, dict[Language, str]] = {
    "fulfilled": {"da": "gennemført", "en": "fulfilled"},
    "booked": {"da": "booket", "en": "booked"},
    "cancelled": {"da": "aflyst", "en": "cancelled"},
    "noshow": {"da": "udeblevet", "en": "no-show"},
    "folkeskole": {"da": "folkeskole", "en": "public school"},
    "friskole": {"da": "friskole", "en": "independent school"},
    "dagtilbud": {"da": "dagtilbud", "en": "daycare"},
    "specialskole": {"da": "specialskole", "en": "special school"},
}

_TABLES: dict[str, dict[str, dict[Language, str]]] = {
    "category": _CATEGORIES,
    "field": _FIELDS,
    "purpose": _PURPOSES,
    "role": _ROLES,
    "person": _PEOPLE,
    "regime": _REGIMES,
    "value": _VALUES,
}


def language_of(value: str | None) -> Language:
    return "en" if value == "en" else DEFAULT


class Words:
    """The words of one language, for one page."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = (entry.get(self.language) or entry.get("en") or key) if entry else key
        return text.format(**values) if values else text

    def of(self, table: str, key: str) -> str:
        """A category, field, purpose, role, person label or regime in words."""
        entry = _TABLES[table].get(key)
        if entry is None:
            return key if table == "value" else key.replace("_", " ")
        return entry.get(self.language) or entry["en"]

    def categories(self, names: list[str] | tuple[str, ...]) -> str:
        if not names:
            return self("everything")
        return ", ".join(self.of("category", n).lower() for n in names)
