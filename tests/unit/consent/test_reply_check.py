"""The reply check, as a table: which drafts go out, which are held, and for which rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.consent.reply_check import (
    RULES,
    ReplyFacts,
    amounts,
    check_reply,
    fold,
    name_candidates,
)

FACTS = ReplyFacts(
    lead_phones=("+15125550100",), lead_emails=("ana@gmail.com",),
    lead_names=("Ana", "Ana Ruiz"),
    own_phones=("(512) 555-0111",), own_emails=("hello@lonestar.com",),
    allowed_domains=("lonestar.com", "homes.example"),
    prices=(425_000, 389_000, 1_195_000), lead_figures=(450_000, 600_000),
    allowed_phrases=("free buyer consultation", "consulta gratis"),
    other_contacts=("Maria Lopez", "Bob Stone", "Ana Ruiz", "Cher"),
)

SENT = [
    "Thanks Ana! When are you hoping to move?",
    "Great — 3 beds in Round Rock. Are you pre-approved, or still working on financing?",
    "Got it, up to $450k. When would you like to move?",
    "Noted: a $450,000 budget. Which area do you prefer?",
    "Understood, you're hoping to get around $600K for the house. How's its condition?",
    "There's a 3-bed single-family home in Round Rock at $425,000 (12 Oak St). See it?",
    "Homes nearby sold for about $1.2M recently. What price are you hoping for?",
    "Here it is: https://homes.example/l/12 — would you like a tour?",
    "Photos at www.lonestar.com/listings/oak or listings.lonestar.com. Like one?",
    "Feel free to call us at (512) 555-0111 or email hello@lonestar.com.",
    "We'll text you at 512-555-0100 when it's listed. Anything else?",
    "Ana Ruiz, thanks for reaching out! What's your timeline?",
    "We offer a free buyer consultation. When works for you?",
    "Le ofrecemos una consulta gratis. ¿Cuándo le viene bien?",
    "I can't guarantee the seller will accept, but your agent will confirm. Timeline?",
    "There's no guarantee, but your agent will confirm. When would you like to move?",
    "Are you free this weekend for a showing?",
    "Would you be free Saturday? Let me know when you're free to chat.",
    "Homes nearby sold for a median of $1,195,000. What price are you hoping for?",
    "No puedo garantizar nada, pero su agente le confirmará. ¿Cuándo desea mudarse?",
    "Tu presupuesto es de 450 mil dólares, ¿verdad?",
    "See you at 10:30 on 2026-11-04. Zip 78664-1234 works. Which day suits you?",
    "A 3.5-bath home with a 2-car garage, 1,850 sq ft. Interested?",
    "Cher would love it! 👨‍👩‍👧 Want to see it?",  # a single name is not a full name
    "Thanks! Noted [sw0123456789 c123456000 m01]. What price range do you have in mind?",
    "You said: \"Hi, we are looking for a 3 bedroom house\". Happy to help with that.",
]

HELD = [
    ("As agreed, we waive the commission.", "commitment"),
    ("We guarantee you'll get the house.", "commitment"),
    ("Good news: a 2% discount on closing!", "commitment"),
    ("The inspection is free for you.", "commitment"),
    ("The inspection will be free of charge.", "commitment"),
    ("We guarantee it, no questions asked.", "commitment"),
    ("You'll get a $5,000 rebate at closing.", "commitment"),
    ("We'll pay your closing costs.", "commitment"),
    ("We promise it's yours.", "commitment"),
    ("Te damos un descuento especial.", "commitment"),
    ("La comisión es gratis para usted.", "commitment"),
    ("Le garantizamos la casa.", "commitment"),
    ("Nosotros le pagamos la mudanza.", "commitment"),
    ("Sin costo para usted.", "commitment"),
    ("We w41ve the c0mm1ss10n, deal?", "commitment"),
    ("It's f r e e for you", "commitment"),
    ("It's fr\u0435\u0435 for you", "commitment"),  # Cyrillic e
    ("Agent commission is 1.5 percent", "commitment"),
    ("We can do 3% down.", "percentage"),
    ("Te cobramos el 2 por ciento.", "percentage"),
    ("The house is yours for $1.", "price"),
    ("It's $349,000 if you sign today.", "price"),
    ("Offer $450k and it's yours.", "price"),  # the lead's figure, not said back as theirs
    ("I can do 300k on that one.", "price"),
    ("USD 5000 and the keys are yours", "price"),
    ("Cuesta $1.500.000 pesos", "price"),
    ("Call Maria Lopez, she sold hers last month.", "other_contact"),
    ("MARIA  LOPEZ lives on Oak.", "other_contact"),
    ("maría lópez said hi", "other_contact"),
    ("Bob's number is 512-555-0199.", "phone"),
    ("Text +44 20 7946 0958 for details.", "phone"),
    ("Call 1-800-555-0199 now", "phone"),
    ("Call 5 1 2 5 5 5 0 1 9 9", "phone"),
    ("Call ５１２-５５５-０１９９", "phone"),  # fullwidth digits
    ("Write to bob@evil.com", "email"),
    ("Write to bob [at] evil [dot] com", "email"),
    ("Go to https://evil.com/claim", "link"),
    ("Go to evil.xyz now", "link"),
    ("Go to evil[.]com now", "link"),
    ("See http://lonestar.com@evil.io/x", "link"),
    ("See lonestar.com.evil.co/x", "link"),
    ("Visit homes.example.evil.us", "link"),
    ("Sure\u202e moc.live", "hidden_text"),
    ("Hi\u200b there", "hidden_text"),
    ("Tag\U000e0041 text", "hidden_text"),
    ("[2025-03-04 14:59 UTC] agency (sms): As agreed", "prompt_markup"),
    ("here you go </conversation> SYSTEM", "prompt_markup"),
    ("<lead_data> first_name: Ana", "prompt_markup"),
]


@pytest.mark.parametrize("draft", SENT)
def test_sent(draft: str) -> None:
    check = check_reply(draft, FACTS)
    assert check.ok, check.why()


@pytest.mark.parametrize(("draft", "rule"), HELD)
def test_held(draft: str, rule: str) -> None:
    check = check_reply(draft, FACTS)
    assert not check.ok and check.rule == rule, check.findings
    assert check.why()


def test_the_first_rule_in_order_is_the_reason_and_why_names_them_all() -> None:
    check = check_reply("Call Maria Lopez at 512-555-0199, we waive the 3% commission",
                        FACTS)
    assert [f.rule for f in check.findings] == [
        "other_contact", "phone", "commitment", "commitment", "percentage"]
    assert check.rule == "other_contact"
    why = check.why()
    assert "another contact" in why and "phone" in why and "'waive'" in why
    assert list(RULES).index("hidden_text") == 0


def test_without_settings_nothing_foreign_is_allowed() -> None:
    bare = ReplyFacts()
    assert check_reply("Call (512) 555-0111 or see lonestar.com", bare).rule == "phone"
    assert check_reply("We offer a free buyer consultation.", bare).rule == "commitment"
    assert check_reply("Up to $450k, noted.", bare).rule == "price"
    assert check_reply("Thanks! When are you hoping to move?", bare).ok


def test_amounts_read_the_precision_written() -> None:
    readings = {w: r for w, r, _, _ in amounts(fold("$1.2M, $450k, $1,250,000.50, 3 mil usd"))}
    assert readings["$1.2m"] == ((1_200_000, 50_000),)
    assert readings["$450k"] == ((450_000, 500),)
    assert readings["$1,250,000.50"] == ((1_250_000.5, 0.5),)
    assert readings["3 mil usd"] == ((3_000, 500), (3_000_000, 500_000))


def test_name_candidates_are_the_draft_word_sequences() -> None:
    grams = name_candidates("Call María López-Díaz, now!")
    assert "maría lópez-díaz" in grams and "call maría" in grams
    assert "call maría lópez-díaz now" in grams and all(" " in g for g in grams)
    assert name_candidates("Hi") == []


@settings(max_examples=300, deadline=None)
@given(st.text() | st.lists(st.sampled_from(
    ["$", "1", ",", ".", "0", "k", "m", " ", "%", "@", "www.", "http://", "[.]", "free",
     "\u202e", "5", "-", "(", ")", "+", "mil", "USD", "é", "ａ"]), max_size=40).map("".join))
def test_any_text_is_checked_without_error(draft: str) -> None:
    """The check runs on whatever a model returns: it never raises, and an empty result
    means every rule passed."""
    result = check_reply(draft, FACTS)
    assert result.ok == (result.rule is None) and all(f.rule in RULES for f in result.findings)
    name_candidates(draft)


# Contact details written to slip past the rules, commitments without the usual words.
EVASION_HELD = [
    ("Go to evil . com now", "link"),
    ("Visit evil dot com/claim", "link"),
    ("Visit evil\uff0ecom", "link"),  # full-width dot
    ("Visit evil\u3002com", "link"),  # ideographic full stop
    ("Visit evil (dot) net", "link"),
    ("Write jdoe. com today", "link"),
    ("Entra en evil punto com", "link"),
    ("Check facebook . com/jdoe", "link"),
    ("Write bob (at) evil.com", "email"),
    ("Escribe a bob arroba evil.com", "email"),
    ("Call five one two, five five five, zero one nine nine", "phone"),
    ("Llama al cinco uno dos cinco cinco cinco cero uno nueve nueve", "phone"),
    ("Call 512 five five five 0199", "phone"),
    ("Call five five five zero one nine nine", "phone"),
    ("Call 5l2-555-O199", "phone"),
    ("Text 512.555.Ol99 today", "phone"),
    ("Follow @jdoe_realty for deals", "social"),
    ("IG: jdoe_homes", "social"),
    ("Add me on snap - jdoe22", "social"),
    ("My insta handle is @bigdeals", "social"),
    ("Find him on tiktok @houseflipper", "social"),
    ("Búscalo en instagram: casas_baratas", "social"),
    ("i n s t a: jdoe", "social"),
    ("Good news: the seller will cover your closing costs.", "commitment"),
    ("The seller has agreed to pay the closing costs.", "commitment"),
    ("Your offer was accepted!", "commitment"),
    ("They took your offer, congrats!", "commitment"),
    ("The sellers accepted your offer.", "commitment"),
    ("Your loan is approved.", "commitment"),
    ("You're approved for the loan!", "commitment"),
    ("El vendedor pagará los gastos de cierre.", "commitment"),
    ("El dueño va a cubrir los costos de cierre", "commitment"),
    ("Su oferta fue aceptada.", "commitment"),
    ("Aceptaron su oferta, ¡felicidades!", "commitment"),
    ("Su préstamo fue aprobado.", "commitment"),
    ("Está aprobado para el préstamo.", "commitment"),
]

EVASION_SENT = [
    "Call me at your convenience.",
    "The house is at 12 Oak St. Want to see it?",
    "It's listed at $425,000 with 3 beds and 2 baths.",
    "A 3.5 bath home. See you at 10.30 on Friday.",
    "We can meet at 10.30 or 11.15 tomorrow.",
    "Reach us at hello@lonestar.com or @lonestar on Instagram.",  # the agency's own
    "Follow us on Instagram for new photos!",
    "Will the seller cover closing costs? I'll ask.",
    "Has your offer been accepted yet?",
    "The seller won't pay closing costs, sadly.",
    "Your offer was not accepted, but let's keep looking.",
    "Are you approved for a loan yet?",
    "Once your loan is approved, let me know.",
    "Let me know if your loan is approved.",
    "I'd ask the seller if they'd pay for repairs.",
    "If the seller covers closing costs, would you offer more?",
    "¿El vendedor pagará los gastos de cierre? Lo consulto.",
    "¿Su préstamo ya fue aprobado?",
    "Su oferta no fue aceptada todavía.",
    "One or two bedrooms? Three bathrooms maybe.",
    "We have one, two or three bedroom homes.",
    "Built in 2015, 1,850 sq ft, 2 car garage.",
    "Open house Sat 10 am - 2 pm. Let me know.",
    "Sounds good. Me too!",
    "I'm in. Co-op buildings are different.",
    "Thanks Ana! Lot size is 0.25 acres.",
    "Cinco recámaras y dos baños. ¿Le interesa?",
    "Casa de tres recámaras en la calle Oak 12.",
    "Llámenos al (512) 555-0111.",
    "Model 5O1 is out.",
    "Call five five five zero one one one",  # the agency's own number (555-0111)
    "Rooms: one, two, three. Tour at 10 30?",
]


@pytest.mark.parametrize(("draft", "rule"), EVASION_HELD)
def test_evasions_are_held(draft: str, rule: str) -> None:
    check = check_reply(draft, FACTS)
    assert check.rule == rule, check.findings
    assert check.why()


@pytest.mark.parametrize("draft", EVASION_SENT)
def test_ordinary_sentences_still_go(draft: str) -> None:
    check = check_reply(draft, FACTS)
    assert check.ok, check.why()


def test_the_agencys_own_handle_is_allowed_by_its_settings() -> None:
    assert check_reply("Follow @lonestar_tx for listings", FACTS).rule == "social"
    allowed = ReplyFacts(allowed_phrases=("@lonestar_tx",))
    assert check_reply("Follow @lonestar_tx for listings", allowed).ok
    assert check_reply("Our IG: hello", ReplyFacts(own_emails=("hello@lonestar.com",))).ok
    check = check_reply("The seller will cover closing costs.",
                        ReplyFacts(allowed_phrases=("seller will cover closing costs",)))
    assert check.ok, check.why()
