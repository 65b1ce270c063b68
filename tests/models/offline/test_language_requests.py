"""Plan changes, "what do we owe", card storage and address updates written in German, French, Spanish or
Portuguese are read as the requests they are (the phrase table's rows, used in whole sentences)."""

from __future__ import annotations

import pytest

from purser.models.offline.address import parse_address
from purser.models.offline.intents import Intent
from purser.models.offline.understand import understand


@pytest.mark.parametrize(
    "text",
    [
        "Hola, me gustaría cambiar del plan Pro al Business, por favor.",
        "Bonjour, je voudrais passer du forfait Pro au forfait Business.",
        "Hallo, wir möchten wechseln vom Pro auf den Business-Plan, danke.",
        "Olá, gostaria de mudar do plano Pro para o Business.",
    ],
)
def test_a_plan_change_in_each_language(text: str) -> None:
    assert Intent.CHANGE_PLAN in {r.intent for r in understand(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Hallo, wie viel müssen wir noch bezahlen?",
        "Bonjour, combien nous reste-t-il à payer ?",
        "Hola, ¿cuánto nos queda por pagar?",
        "Olá, quanto ainda temos de pagar?",
    ],
)
def test_what_do_we_owe_in_each_language_is_a_read_of_the_account(text: str) -> None:
    assert [r.intent for r in understand(text)] == [Intent.ACCOUNT_QUESTION]


@pytest.mark.parametrize(
    "text",
    [
        "Hallo, speichern Sie meine Kartennummer irgendwo?",
        "Bonjour, est-ce que vous conservez mon numéro de carte bancaire ?",
        "Hola, ¿guardan ustedes el número de mi tarjeta?",
        "Olá, vocês guardam o número do meu cartão?",
    ],
)
def test_do_you_keep_my_card_number_in_each_language_is_a_policy_question(text: str) -> None:
    assert [r.intent for r in understand(text)] == [Intent.POLICY_QUESTION]


@pytest.mark.parametrize(
    ("text", "line1"),
    [
        ("Olá, mudámos: Rua do Ouro 88, 1100-063 Lisboa, Portugal. Podem atualizar a morada de faturação?",
         "Rua do Ouro 88"),
        ("Hola, nos mudamos: Calle de Toledo 12, 28005 Madrid, España. ¿Pueden actualizar la dirección?",
         "Calle de Toledo 12"),
        ("Bonjour, nouvelle adresse : 5 rue Oberkampf, 75011 Paris, France. Pouvez-vous mettre à jour ?",
         "5 rue Oberkampf"),
    ],
)  # fmt: skip
def test_an_address_update_in_each_language(text: str, line1: str) -> None:
    assert [r.intent for r in understand(text)] == [Intent.UPDATE_BILLING]
    found = parse_address(text)
    assert found is not None and found["line1"] == line1
