"""The Palermo assessment: answers → indicators → dimensions → elements → outcome. Pure Python.

1. Each answer raises the indicators its question maps it to ("not asked" and "declined" raise
   nothing and are never read as "no").
2. A dimension is positive when its raised indicators meet one of its thresholds (instrument
   data, e.g. the ILO–EC rule "2 strong, or 1 strong + 1 medium or weak, or 3 medium, or
   2 medium + 1 weak"); the loader refuses a threshold that weak indicators alone could meet.
3. An element (act, means, purpose) is *present* when one of its dimensions is positive;
   *unknown* when it is not, but would be if the unanswered questions raised everything they
   can; *absent* otherwise.
4. The outcome, by the Palermo Protocol: an adult needs act AND means AND purpose; a child
   (under 18) needs act AND purpose — means are irrelevant. All required elements present →
   presumed trafficked person. Otherwise, too many key questions unanswered → insufficient
   information; a required element absent → not indicated; else (required elements unknown)
   insufficient information. When the age is unknown and the outcome depends on it, the outcome
   is insufficient information (establish the age; a person who may be a child is treated as
   one until it is established — the presumption of minority).

Monotonicity (tested with hypothesis): in the order of concern
not_indicated < insufficient_information < presumed_trafficked, raising more indicators with the
same questions answered never lowers the outcome, and never removes "presumed". (Answering a
question that was unanswered may lower it: more is known.)

Every outcome carries its explanation trail: which answers raised which indicators, which
indicators made which dimension positive, which dimensions made which element, and why the
outcome — in each UI language.
"""

# The translation tables below keep one sentence per line, longer than the usual width.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from palermo.screening.instruments import (
    CONTROL_METHODS,
    EXPLOITATION_TYPES,
    LANGUAGES,
    SPECIAL_ANSWERS,
    AnswerType,
    AnswerValue,
    Dimension,
    Element,
    Instrument,
    Population,
    Question,
    Strength,
    Text,
    localised,
)

ADULT_AGE = 18


class Outcome(StrEnum):
    PRESUMED_TRAFFICKED = "presumed_trafficked"
    NOT_INDICATED = "not_indicated"
    INSUFFICIENT_INFORMATION = "insufficient_information"


# The order of concern, used by the monotonicity guarantee and to combine age hypotheses.
CONCERN: dict[Outcome, int] = {
    Outcome.NOT_INDICATED: 0,
    Outcome.INSUFFICIENT_INFORMATION: 1,
    Outcome.PRESUMED_TRAFFICKED: 2,
}


class ElementStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class AgeGroup(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    UNKNOWN = "unknown"


ADULT_REQUIRES = (Element.ACT, Element.MEANS, Element.PURPOSE)
CHILD_REQUIRES = (Element.ACT, Element.PURPOSE)

OUTCOME_LABELS: dict[Outcome, Text] = {
    Outcome.PRESUMED_TRAFFICKED: {
        "en": "presumed trafficked person",
        "uk": "ймовірно постраждала від торгівлі людьми особа",
        "ro": "persoană presupusă a fi victimă a traficului de persoane",
        "es": "presunta víctima de trata de personas",
        "pt": "presumível vítima de tráfico de pessoas",
        "fr": "victime présumée de la traite des êtres humains",
    },
    Outcome.NOT_INDICATED: {
        "en": "not indicated",
        "uk": "ознак не виявлено",
        "ro": "nu există indicii",
        "es": "sin indicios",
        "pt": "sem indícios",
        "fr": "pas d'indices",
    },
    Outcome.INSUFFICIENT_INFORMATION: {
        "en": "insufficient information",
        "uk": "недостатньо інформації",
        "ro": "informații insuficiente",
        "es": "información insuficiente",
        "pt": "informação insuficiente",
        "fr": "informations insuffisantes",
    },
}

ELEMENT_LABELS: dict[Element, Text] = {
    Element.ACT: {
        "en": "act",
        "uk": "дія",
        "ro": "acțiunea",
        "es": "acción",
        "pt": "ato",
        "fr": "acte",
    },
    Element.MEANS: {
        "en": "means",
        "uk": "засоби",
        "ro": "mijloacele",
        "es": "medios",
        "pt": "meios",
        "fr": "moyens",
    },
    Element.PURPOSE: {
        "en": "purpose",
        "uk": "мета",
        "ro": "scopul",
        "es": "finalidad",
        "pt": "finalidade",
        "fr": "finalité",
    },
}

ELEMENT_STATUS_LABELS: dict[ElementStatus, Text] = {
    ElementStatus.PRESENT: {
        "en": "present",
        "uk": "наявний",
        "ro": "prezent",
        "es": "presente",
        "pt": "presente",
        "fr": "présent",
    },
    ElementStatus.ABSENT: {
        "en": "absent",
        "uk": "відсутній",
        "ro": "absent",
        "es": "ausente",
        "pt": "ausente",
        "fr": "absent",
    },
    ElementStatus.UNKNOWN: {
        "en": "unknown",
        "uk": "невідомо",
        "ro": "necunoscut",
        "es": "desconocido",
        "pt": "desconhecido",
        "fr": "inconnu",
    },
}

STRENGTH_LABELS: dict[Strength, Text] = {
    Strength.STRONG: {
        "en": "strong",
        "uk": "сильний",
        "ro": "puternic",
        "es": "fuerte",
        "pt": "forte",
        "fr": "fort",
    },
    Strength.MEDIUM: {
        "en": "medium",
        "uk": "середній",
        "ro": "mediu",
        "es": "medio",
        "pt": "médio",
        "fr": "moyen",
    },
    Strength.WEAK: {
        "en": "weak",
        "uk": "слабкий",
        "ro": "slab",
        "es": "débil",
        "pt": "fraco",
        "fr": "faible",
    },
}

# Plural forms used with counts ("strong: 2 + medium: 1").
STRENGTH_COUNT_LABELS: dict[Strength, Text] = {
    Strength.STRONG: {
        "en": "strong",
        "uk": "сильних",
        "ro": "puternici",
        "es": "fuertes",
        "pt": "fortes",
        "fr": "forts",
    },
    Strength.MEDIUM: {
        "en": "medium",
        "uk": "середніх",
        "ro": "medii",
        "es": "medios",
        "pt": "médios",
        "fr": "moyens",
    },
    Strength.WEAK: {
        "en": "weak",
        "uk": "слабких",
        "ro": "slabi",
        "es": "débiles",
        "pt": "fracos",
        "fr": "faibles",
    },
}

# Explanation templates: one per step code, in every UI language. Parameters in braces.
TEMPLATES: dict[str, Text] = {
    "answers.summary": {
        "en": "Questions answered: {answered} of {total}; not asked: {not_asked}; declined: {declined}. Unanswered questions are never counted as “no”.",
        "uk": "Запитань із відповіддю: {answered} з {total}; не поставлено: {not_asked}; без відповіді за бажанням особи: {declined}. Запитання без відповіді ніколи не вважаються відповіддю «ні».",
        "ro": "Întrebări cu răspuns: {answered} din {total}; nepuse: {not_asked}; refuzate: {declined}. Întrebările fără răspuns nu sunt niciodată socotite drept „nu”.",
        "es": "Preguntas respondidas: {answered} de {total}; no formuladas: {not_asked}; sin respuesta por decisión de la persona: {declined}. Las preguntas sin respuesta nunca cuentan como «no».",
        "pt": "Perguntas respondidas: {answered} de {total}; não feitas: {not_asked}; sem resposta por opção da pessoa: {declined}. As perguntas sem resposta nunca contam como «não».",
        "fr": "Questions avec réponse : {answered} sur {total} ; non posées : {not_asked} ; refus de répondre : {declined}. Une question sans réponse ne compte jamais comme « non ».",
    },
    "indicator.raised": {
        "en": "The answer “{answer}” to “{question}” ({question_id}) raised the {strength} indicator “{indicator}” ({indicator_id}) in the dimension “{dimension}”.",
        "uk": "Відповідь «{answer}» на запитання «{question}» ({question_id}) вказує на {strength} індикатор «{indicator}» ({indicator_id}) у вимірі «{dimension}».",
        "ro": "Răspunsul „{answer}” la „{question}” ({question_id}) a ridicat indicatorul {strength} „{indicator}” ({indicator_id}) din dimensiunea „{dimension}”.",
        "es": "La respuesta «{answer}» a «{question}» ({question_id}) activó el indicador {strength} «{indicator}» ({indicator_id}) de la dimensión «{dimension}».",
        "pt": "A resposta «{answer}» a «{question}» ({question_id}) ativou o indicador {strength} «{indicator}» ({indicator_id}) da dimensão «{dimension}».",
        "fr": "La réponse « {answer} » à « {question} » ({question_id}) a relevé l'indicateur {strength} « {indicator} » ({indicator_id}) de la dimension « {dimension} ».",
    },
    "dimension.positive": {
        "en": "Dimension “{dimension}” ({dimension_id}) — strong: {strong}, medium: {medium}, weak: {weak} — positive by the threshold “{rule}”; it establishes the {element}.",
        "uk": "Вимір «{dimension}» ({dimension_id}) — сильних: {strong}, середніх: {medium}, слабких: {weak} — позитивний за порогом «{rule}»; він встановлює елемент «{element}».",
        "ro": "Dimensiunea „{dimension}” ({dimension_id}) — puternici: {strong}, medii: {medium}, slabi: {weak} — pozitivă după pragul „{rule}”; stabilește {element}.",
        "es": "Dimensión «{dimension}» ({dimension_id}) — fuertes: {strong}, medios: {medium}, débiles: {weak} — positiva por el umbral «{rule}»; establece el elemento {element}.",
        "pt": "Dimensão «{dimension}» ({dimension_id}) — fortes: {strong}, médios: {medium}, fracos: {weak} — positiva pelo limiar «{rule}»; estabelece o elemento {element}.",
        "fr": "Dimension « {dimension} » ({dimension_id}) — forts : {strong}, moyens : {medium}, faibles : {weak} — positive selon le seuil « {rule} » ; elle établit l'élément {element}.",
    },
    "dimension.not_positive": {
        "en": "Dimension “{dimension}” ({dimension_id}) — strong: {strong}, medium: {medium}, weak: {weak} — not positive: no threshold is met.",
        "uk": "Вимір «{dimension}» ({dimension_id}) — сильних: {strong}, середніх: {medium}, слабких: {weak} — не позитивний: жоден поріг не досягнуто.",
        "ro": "Dimensiunea „{dimension}” ({dimension_id}) — puternici: {strong}, medii: {medium}, slabi: {weak} — nu este pozitivă: niciun prag nu este atins.",
        "es": "Dimensión «{dimension}» ({dimension_id}) — fuertes: {strong}, medios: {medium}, débiles: {weak} — no es positiva: no se alcanza ningún umbral.",
        "pt": "Dimensão «{dimension}» ({dimension_id}) — fortes: {strong}, médios: {medium}, fracos: {weak} — não é positiva: nenhum limiar é atingido.",
        "fr": "Dimension « {dimension} » ({dimension_id}) — forts : {strong}, moyens : {medium}, faibles : {weak} — non positive : aucun seuil n'est atteint.",
    },
    "dimension.weak_only": {
        "en": "Dimension “{dimension}” ({dimension_id}) — weak indicators only ({weak}) — not positive: weak indicators alone never suffice.",
        "uk": "Вимір «{dimension}» ({dimension_id}) — лише слабкі індикатори ({weak}) — не позитивний: самих слабких індикаторів ніколи не достатньо.",
        "ro": "Dimensiunea „{dimension}” ({dimension_id}) — doar indicatori slabi ({weak}) — nu este pozitivă: indicatorii slabi singuri nu sunt niciodată suficienți.",
        "es": "Dimensión «{dimension}» ({dimension_id}) — solo indicadores débiles ({weak}) — no es positiva: los indicadores débiles por sí solos nunca bastan.",
        "pt": "Dimensão «{dimension}» ({dimension_id}) — apenas indicadores fracos ({weak}) — não é positiva: indicadores fracos, sozinhos, nunca bastam.",
        "fr": "Dimension « {dimension} » ({dimension_id}) — uniquement des indicateurs faibles ({weak}) — non positive : des indicateurs faibles seuls ne suffisent jamais.",
    },
    "element.present": {
        "en": "The {element} is present: positive dimension(s) {dimensions}.",
        "uk": "Елемент «{element}» наявний: позитивні виміри {dimensions}.",
        "ro": "Elementul {element} este prezent: dimensiuni pozitive {dimensions}.",
        "es": "El elemento {element} está presente: dimensiones positivas {dimensions}.",
        "pt": "O elemento {element} está presente: dimensões positivas {dimensions}.",
        "fr": "L'élément {element} est présent : dimension(s) positive(s) {dimensions}.",
    },
    "element.unknown": {
        "en": "The {element} is unknown: no dimension for it is positive yet, but questions not asked or declined could establish it: {questions}.",
        "uk": "Елемент «{element}» невідомий: жоден його вимір ще не позитивний, але запитання, які не поставили або на які не відповіли, можуть його встановити: {questions}.",
        "ro": "Elementul {element} este necunoscut: nicio dimensiune a sa nu este încă pozitivă, dar întrebările nepuse sau fără răspuns l-ar putea stabili: {questions}.",
        "es": "El elemento {element} es desconocido: ninguna de sus dimensiones es positiva aún, pero las preguntas no hechas o sin respuesta podrían establecerlo: {questions}.",
        "pt": "O elemento {element} é desconhecido: nenhuma das suas dimensões é ainda positiva, mas as perguntas não feitas ou sem resposta poderiam estabelecê-lo: {questions}.",
        "fr": "L'élément {element} est inconnu : aucune de ses dimensions n'est encore positive, mais les questions non posées ou sans réponse pourraient l'établir : {questions}.",
    },
    "element.absent": {
        "en": "The {element} is absent: no dimension for it is positive, and the unanswered questions could not change that.",
        "uk": "Елемент «{element}» відсутній: жоден його вимір не позитивний, і запитання без відповіді не могли б цього змінити.",
        "ro": "Elementul {element} este absent: nicio dimensiune a sa nu este pozitivă, iar întrebările fără răspuns nu ar putea schimba acest lucru.",
        "es": "El elemento {element} está ausente: ninguna de sus dimensiones es positiva y las preguntas sin respuesta no podrían cambiarlo.",
        "pt": "O elemento {element} está ausente: nenhuma das suas dimensões é positiva e as perguntas sem resposta não o poderiam alterar.",
        "fr": "L'élément {element} est absent : aucune de ses dimensions n'est positive, et les questions sans réponse ne pourraient pas changer cela.",
    },
    "age.child": {
        "en": "The person is a child (under 18): the child rule applies — act and purpose are required; means are irrelevant.",
        "uk": "Особа — дитина (до 18 років): застосовується правило для дітей — потрібні дія та мета; засоби не мають значення.",
        "ro": "Persoana este copil (sub 18 ani): se aplică regula pentru copii — sunt necesare acțiunea și scopul; mijloacele nu contează.",
        "es": "La persona es menor de edad (menos de 18 años): se aplica la regla para niños — se requieren la acción y la finalidad; los medios son irrelevantes.",
        "pt": "A pessoa é uma criança (menos de 18 anos): aplica-se a regra para crianças — são exigidos o ato e a finalidade; os meios são irrelevantes.",
        "fr": "La personne est un enfant (moins de 18 ans) : la règle applicable aux enfants s'applique — l'acte et la finalité sont requis ; les moyens sont indifférents.",
    },
    "age.adult": {
        "en": "The person is an adult (18 or over): act, means and purpose are all required.",
        "uk": "Особа повнолітня (18 років і старше): потрібні всі три елементи — дія, засоби та мета.",
        "ro": "Persoana este adultă (18 ani sau mai mult): sunt necesare toate trei elementele — acțiunea, mijloacele și scopul.",
        "es": "La persona es adulta (18 años o más): se requieren la acción, los medios y la finalidad.",
        "pt": "A pessoa é adulta (18 anos ou mais): são exigidos o ato, os meios e a finalidade.",
        "fr": "La personne est adulte (18 ans ou plus) : l'acte, les moyens et la finalité sont tous requis.",
    },
    "age.unknown": {
        "en": "The age is not known. As an adult the outcome would be “{adult}”; as a child, “{child}”. Where they differ the outcome is insufficient information: establish the age, and treat a person who may be a child as a child meanwhile.",
        "uk": "Вік невідомий. Для дорослої особи результат був би «{adult}», для дитини — «{child}». Якщо вони різняться, результат — недостатньо інформації: встановіть вік, а доти вважайте особу, яка може бути дитиною, дитиною.",
        "ro": "Vârsta nu este cunoscută. Pentru un adult rezultatul ar fi „{adult}”; pentru un copil, „{child}”. Când diferă, rezultatul este informații insuficiente: stabiliți vârsta și, până atunci, tratați ca pe un copil persoana care ar putea fi copil.",
        "es": "Se desconoce la edad. Como adulta, el resultado sería «{adult}»; como menor, «{child}». Si difieren, el resultado es información insuficiente: determine la edad y, mientras tanto, trate como menor a la persona que pueda serlo.",
        "pt": "A idade não é conhecida. Como adulta, o resultado seria «{adult}»; como criança, «{child}». Quando diferem, o resultado é informação insuficiente: determine a idade e, entretanto, trate como criança a pessoa que o possa ser.",
        "fr": "L'âge n'est pas connu. Pour un adulte, le résultat serait « {adult} » ; pour un enfant, « {child} ». S'ils diffèrent, le résultat est « informations insuffisantes » : établissez l'âge et, en attendant, traitez comme un enfant la personne qui peut en être un.",
    },
    "coverage.insufficient": {
        "en": "{unanswered} of {key} key questions are unanswered (at most {allowed} may be): too little is known to rule trafficking out.",
        "uk": "Без відповіді залишилися {unanswered} з {key} ключових запитань (допустимо не більше {allowed}): відомо надто мало, щоб виключити торгівлю людьми.",
        "ro": "{unanswered} din {key} întrebări-cheie au rămas fără răspuns (cel mult {allowed} pot rămâne): se știe prea puțin pentru a exclude traficul.",
        "es": "{unanswered} de {key} preguntas clave quedaron sin respuesta (como máximo {allowed}): se sabe demasiado poco para descartar la trata.",
        "pt": "{unanswered} de {key} perguntas-chave ficaram sem resposta (no máximo {allowed}): sabe-se demasiado pouco para excluir o tráfico.",
        "fr": "{unanswered} questions clés sur {key} sont sans réponse (au plus {allowed} peuvent l'être) : on en sait trop peu pour écarter la traite.",
    },
    "context.not_alone": {
        "en": "The answers name a sector linked to {types}; on its own this is not an indicator of trafficking (selling sex, for example, is not in itself trafficking). It counts only once the purpose is established.",
        "uk": "Відповіді вказують на сферу, пов'язану з {types}; саме по собі це не є ознакою торгівлі людьми (наприклад, надання сексуальних послуг саме по собі не є торгівлею людьми). Це враховується лише тоді, коли встановлено мету.",
        "ro": "Răspunsurile indică un sector legat de {types}; singur, acesta nu este un indicator de trafic (de exemplu, prestarea de servicii sexuale nu este în sine trafic). Contează doar după ce scopul este stabilit.",
        "es": "Las respuestas mencionan un sector vinculado a {types}; por sí solo no es un indicador de trata (por ejemplo, vender sexo no es en sí trata). Solo cuenta una vez establecida la finalidad.",
        "pt": "As respostas indicam um setor ligado a {types}; por si só, não é um indicador de tráfico (vender sexo, por exemplo, não é em si tráfico). Só conta depois de estabelecida a finalidade.",
        "fr": "Les réponses désignent un secteur lié à {types} ; à lui seul, ce n'est pas un indicateur de traite (vendre des services sexuels, par exemple, n'est pas en soi de la traite). Il ne compte qu'une fois la finalité établie.",
    },
    "outcome.presumed_trafficked": {
        "en": "Outcome: {outcome} — the required elements ({elements}) are present. This is a presumption for the competent authority to confirm, not a decision; the person is entitled to assistance and protection meanwhile.",
        "uk": "Результат: {outcome} — необхідні елементи ({elements}) наявні. Це припущення, яке має підтвердити уповноважений орган, а не рішення; тим часом особа має право на допомогу та захист.",
        "ro": "Rezultat: {outcome} — elementele necesare ({elements}) sunt prezente. Este o prezumție pe care autoritatea competentă trebuie să o confirme, nu o decizie; între timp persoana are dreptul la asistență și protecție.",
        "es": "Resultado: {outcome}; los elementos requeridos ({elements}) están presentes. Es una presunción que debe confirmar la autoridad competente, no una decisión; mientras tanto, la persona tiene derecho a asistencia y protección.",
        "pt": "Resultado: {outcome} — os elementos exigidos ({elements}) estão presentes. É uma presunção a confirmar pela autoridade competente, não uma decisão; entretanto, a pessoa tem direito a assistência e proteção.",
        "fr": "Résultat : {outcome} — les éléments requis ({elements}) sont présents. C'est une présomption que l'autorité compétente doit confirmer, non une décision ; dans l'intervalle, la personne a droit à l'assistance et à la protection.",
    },
    "outcome.not_indicated": {
        "en": "Outcome: {outcome} — required element(s) absent: {elements}. This screening did not indicate trafficking; it does not prove there is none. Screen again if new information appears.",
        "uk": "Результат: {outcome} — відсутні необхідні елементи: {elements}. Ця перевірка не виявила ознак торгівлі людьми, але не доводить, що її немає. Проведіть перевірку повторно, якщо з'явиться нова інформація.",
        "ro": "Rezultat: {outcome} — lipsesc elementele necesare: {elements}. Această evaluare nu a indicat trafic; nu dovedește că nu există. Reluați evaluarea dacă apar informații noi.",
        "es": "Resultado: {outcome}; faltan elementos requeridos: {elements}. Esta evaluación no indicó trata; no prueba que no la haya. Repita la evaluación si aparece información nueva.",
        "pt": "Resultado: {outcome} — faltam elementos exigidos: {elements}. Esta triagem não indicou tráfico; não prova que não exista. Repita a triagem se surgir nova informação.",
        "fr": "Résultat : {outcome} — élément(s) requis absent(s) : {elements}. Ce dépistage n'a pas indiqué de traite ; il ne prouve pas qu'il n'y en a pas. Recommencez si de nouvelles informations apparaissent.",
    },
    "outcome.insufficient_information": {
        "en": "Outcome: {outcome} — {reason} Continue the interview when the person is ready, or refer for a fuller assessment.",
        "uk": "Результат: {outcome} — {reason} Продовжте співбесіду, коли особа буде готова, або направте на повнішу оцінку.",
        "ro": "Rezultat: {outcome} — {reason} Continuați interviul când persoana este pregătită sau trimiteți-o pentru o evaluare mai completă.",
        "es": "Resultado: {outcome}; {reason} Continúe la entrevista cuando la persona esté lista o derívela para una evaluación más completa.",
        "pt": "Resultado: {outcome} — {reason} Continue a entrevista quando a pessoa estiver pronta ou encaminhe-a para uma avaliação mais completa.",
        "fr": "Résultat : {outcome} — {reason} Poursuivez l'entretien lorsque la personne est prête, ou orientez-la vers une évaluation plus complète.",
    },
    "reason.unknown_elements": {
        "en": "the required element(s) {elements} are unknown.",
        "uk": "необхідні елементи ({elements}) невідомі.",
        "ro": "elementele necesare ({elements}) sunt necunoscute.",
        "es": "los elementos requeridos ({elements}) son desconocidos.",
        "pt": "os elementos exigidos ({elements}) são desconhecidos.",
        "fr": "les éléments requis ({elements}) sont inconnus.",
    },
    "reason.coverage": {
        "en": "too many key questions are unanswered.",
        "uk": "забагато ключових запитань залишилися без відповіді.",
        "ro": "prea multe întrebări-cheie au rămas fără răspuns.",
        "es": "demasiadas preguntas clave quedaron sin respuesta.",
        "pt": "demasiadas perguntas-chave ficaram sem resposta.",
        "fr": "trop de questions clés sont restées sans réponse.",
    },
    "reason.age": {
        "en": "the outcome depends on whether the person is under 18, which is not known.",
        "uk": "результат залежить від того, чи є особі менше 18 років, а це невідомо.",
        "ro": "rezultatul depinde de faptul dacă persoana are sub 18 ani, ceea ce nu se știe.",
        "es": "el resultado depende de si la persona es menor de 18 años, lo que no se sabe.",
        "pt": "o resultado depende de a pessoa ter menos de 18 anos, o que não se sabe.",
        "fr": "le résultat dépend de l'âge de la personne (moins de 18 ans ou non), qui n'est pas connu.",
    },
}


@dataclass(frozen=True)
class RaisedIndicator:
    id: str
    strength: Strength
    dimension: str
    element: Element
    # (question id, the answer value that raised it); an answer to a multi_choice question is
    # the option value (or values) that raised it.
    raised_by: tuple[tuple[str, AnswerValue], ...]
    exploitation_types: tuple[str, ...] = ()
    control_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class DimensionResult:
    id: str
    element: Element
    strong: int
    medium: int
    weak: int
    positive: bool
    rule: str | None  # the threshold that made it positive, e.g. "1 strong + 1 medium"
    indicators: tuple[str, ...]
    could_become_positive: bool  # if the unanswered questions raised everything they can


@dataclass(frozen=True)
class ElementResult:
    element: Element
    status: ElementStatus
    because: tuple[str, ...]  # present: the indicators of its positive dimensions
    dimensions: tuple[str, ...] = ()  # present: its positive dimensions
    could_be_established_by: tuple[str, ...] = ()  # unknown: the unanswered question ids
    required: bool = True


@dataclass(frozen=True)
class Step:
    """One line of the explanation trail: a stable code, its parameters, and its text."""

    code: str
    params: dict[str, Any]
    messages: Text  # per UI language

    @property
    def message(self) -> str:
        return self.messages["en"]

    def text(self, language: str) -> str:
        return localised(self.messages, language)


@dataclass(frozen=True)
class Assessment:
    instrument_id: str
    instrument_version: str
    outcome: Outcome
    elements: dict[Element, ElementResult]
    dimensions: tuple[DimensionResult, ...]
    indicators: tuple[RaisedIndicator, ...]
    age_group: AgeGroup
    child_rule_applied: bool
    exploitation_types: tuple[str, ...]
    control_methods: tuple[str, ...]
    not_asked: tuple[str, ...]
    declined: tuple[str, ...]
    key_questions_unanswered: tuple[str, ...]
    explanation: tuple[Step, ...]
    # When the age is unknown: the outcome under each hypothesis.
    outcome_if_adult: Outcome | None = None
    outcome_if_child: Outcome | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)

    @property
    def htcds_trafficking_status(self) -> str | None:
        """HTCDS vic_TraffickingStatus suggested by the screening (a presumption only)."""
        return (
            "PossibleVictimOfTrafficking" if self.outcome is Outcome.PRESUMED_TRAFFICKED else None
        )

    def explain(self, language: str = "en") -> list[str]:
        return [step.text(language) for step in self.explanation]

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        """JSON-ready: plain strings, lists and numbers only."""
        return {
            "instrument": {"id": self.instrument_id, "version": self.instrument_version},
            "outcome": self.outcome.value,
            "outcome_label": localised(OUTCOME_LABELS[self.outcome], language),
            "htcds_trafficking_status": self.htcds_trafficking_status,
            "age_group": self.age_group.value,
            "child_rule_applied": self.child_rule_applied,
            "outcome_if_adult": self.outcome_if_adult.value if self.outcome_if_adult else None,
            "outcome_if_child": self.outcome_if_child.value if self.outcome_if_child else None,
            "elements": {
                element.value: {
                    "status": result.status.value,
                    "required": result.required,
                    "because": list(result.because),
                    "dimensions": list(result.dimensions),
                    "could_be_established_by": list(result.could_be_established_by),
                }
                for element, result in self.elements.items()
            },
            "dimensions": [
                {
                    "id": d.id,
                    "element": d.element.value,
                    "strong": d.strong,
                    "medium": d.medium,
                    "weak": d.weak,
                    "positive": d.positive,
                    "rule": d.rule,
                    "indicators": list(d.indicators),
                    "could_become_positive": d.could_become_positive,
                }
                for d in self.dimensions
            ],
            "indicators": [
                {
                    "id": i.id,
                    "strength": i.strength.value,
                    "dimension": i.dimension,
                    "element": i.element.value,
                    "raised_by": [
                        {"question": q, "answer": list(a) if isinstance(a, tuple) else a}
                        for q, a in i.raised_by
                    ],
                    "exploitation_types": list(i.exploitation_types),
                    "control_methods": list(i.control_methods),
                }
                for i in self.indicators
            ],
            "exploitation_types": list(self.exploitation_types),
            "control_methods": list(self.control_methods),
            "unanswered": {
                "not_asked": list(self.not_asked),
                "declined": list(self.declined),
                "key_questions": list(self.key_questions_unanswered),
            },
            "explanation": [
                {"code": s.code, "message": s.text(language), "params": _jsonable(s.params)}
                for s in self.explanation
            ],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------

Raised = dict[str, list[tuple[str, AnswerValue]]]


def _is_unanswered(answer: AnswerValue) -> bool:
    return isinstance(answer, str) and answer in SPECIAL_ANSWERS


def _raise_indicators(
    instrument: Instrument, answers: Mapping[str, AnswerValue], *, is_child: bool, optimistic: bool
) -> Raised:
    """Indicators raised by the answers; `optimistic` also raises everything that an
    unanswered question could raise (used to tell "unknown" from "absent")."""
    raised: Raised = {}
    for question in instrument.questions.values():
        answer = answers[question.id]
        unanswered = _is_unanswered(answer)
        if unanswered and not optimistic:
            continue
        for mapping in question.raises:
            if not mapping.applies_to(is_child=is_child):
                continue
            if unanswered:
                recorded: AnswerValue = answer
            elif mapping.matches(answer):
                recorded = answer
                if isinstance(answer, tuple):
                    matched = tuple(value for value in answer if value in mapping.when)
                    recorded = matched[0] if len(matched) == 1 else matched
            else:
                continue
            for indicator_id in mapping.indicators:
                sources = raised.setdefault(indicator_id, [])
                if (question.id, recorded) not in sources:
                    sources.append((question.id, recorded))
    return raised


def _counts(
    instrument: Instrument, dimension: Dimension, raised: Mapping[str, Any]
) -> tuple[int, int, int, list[str]]:
    ids = [i.id for i in instrument.indicators if i.dimension == dimension.id and i.id in raised]
    strengths = [instrument.indicator(i).strength for i in ids]
    return (
        strengths.count(Strength.STRONG),
        strengths.count(Strength.MEDIUM),
        strengths.count(Strength.WEAK),
        ids,
    )


def _first_met(dimension: Dimension, strong: int, medium: int, weak: int) -> str | None:
    for threshold in dimension.thresholds:
        if threshold.met(strong, medium, weak):
            return threshold.describe()
    return None


@dataclass
class _Evaluation:
    is_child: bool
    raised: Raised
    dimensions: list[DimensionResult]
    elements: dict[Element, ElementResult]
    outcome: Outcome
    coverage_insufficient: bool


def _evaluate(
    instrument: Instrument,
    answers: Mapping[str, AnswerValue],
    *,
    is_child: bool,
    coverage_insufficient: bool,
) -> _Evaluation:
    raised = _raise_indicators(instrument, answers, is_child=is_child, optimistic=False)
    possible = _raise_indicators(instrument, answers, is_child=is_child, optimistic=True)
    dimensions: list[DimensionResult] = []
    for dimension in instrument.dimensions:
        strong, medium, weak, ids = _counts(instrument, dimension, raised)
        rule = _first_met(dimension, strong, medium, weak)
        p_strong, p_medium, p_weak, _ = _counts(instrument, dimension, possible)
        dimensions.append(
            DimensionResult(
                id=dimension.id,
                element=dimension.element,
                strong=strong,
                medium=medium,
                weak=weak,
                positive=rule is not None,
                rule=rule,
                indicators=tuple(ids),
                could_become_positive=_first_met(dimension, p_strong, p_medium, p_weak) is not None,
            )
        )
    required = CHILD_REQUIRES if is_child else ADULT_REQUIRES
    elements: dict[Element, ElementResult] = {}
    for element in Element:
        mine = [d for d in dimensions if d.element is element]
        positive = [d for d in mine if d.positive]
        if positive:
            elements[element] = ElementResult(
                element=element,
                status=ElementStatus.PRESENT,
                because=tuple(i for d in positive for i in d.indicators),
                dimensions=tuple(d.id for d in positive),
                required=element in required,
            )
        elif any(d.could_become_positive for d in mine):
            elements[element] = ElementResult(
                element=element,
                status=ElementStatus.UNKNOWN,
                because=(),
                could_be_established_by=_unanswered_questions_for(
                    instrument, answers, element, is_child=is_child
                ),
                required=element in required,
            )
        else:
            elements[element] = ElementResult(
                element=element,
                status=ElementStatus.ABSENT,
                because=(),
                required=element in required,
            )
    statuses = [elements[element].status for element in required]
    if all(status is ElementStatus.PRESENT for status in statuses):
        outcome = Outcome.PRESUMED_TRAFFICKED
    elif coverage_insufficient:
        outcome = Outcome.INSUFFICIENT_INFORMATION
    elif ElementStatus.ABSENT in statuses:
        outcome = Outcome.NOT_INDICATED
    else:
        outcome = Outcome.INSUFFICIENT_INFORMATION
    return _Evaluation(is_child, raised, dimensions, elements, outcome, coverage_insufficient)


def _unanswered_questions_for(
    instrument: Instrument, answers: Mapping[str, AnswerValue], element: Element, *, is_child: bool
) -> tuple[str, ...]:
    found = []
    for question in instrument.questions.values():
        if not _is_unanswered(answers[question.id]):
            continue
        if any(
            instrument.indicator(indicator_id).element is element
            for mapping in question.raises
            if mapping.applies_to(is_child=is_child)
            for indicator_id in mapping.indicators
        ):
            found.append(question.id)
    return tuple(found)


def _age_group(
    instrument: Instrument, answers: Mapping[str, AnswerValue], is_child: bool | None
) -> AgeGroup:
    if is_child is not None:
        return AgeGroup.CHILD if is_child else AgeGroup.ADULT
    if instrument.population is Population.CHILD:
        return AgeGroup.CHILD
    if instrument.population is Population.ADULT:
        return AgeGroup.ADULT
    if instrument.age_question:
        age = answers.get(instrument.age_question)
        if isinstance(age, int | float) and not isinstance(age, bool):
            return AgeGroup.CHILD if age < ADULT_AGE else AgeGroup.ADULT
    return AgeGroup.UNKNOWN


def assess(
    instrument: Instrument, answers: Mapping[str, Any], *, is_child: bool | None = None
) -> Assessment:
    """The explained Palermo assessment of one screening.

    `answers` maps question ids to answer values (see instruments/README.md); missing questions
    count as not asked. `is_child` overrides the age taken from the instrument's population or
    its age question. Raises AnswerError for an unknown question or an invalid value.
    """
    normalised = instrument.check_answers(answers)
    key = instrument.key_questions
    key_unanswered = tuple(q for q in key if _is_unanswered(normalised[q]))
    coverage_insufficient = bool(key) and len(
        key_unanswered
    ) > instrument.max_unanswered_key_share * len(key)

    group = _age_group(instrument, normalised, is_child)
    outcome_if_adult = outcome_if_child = None
    if group is AgeGroup.UNKNOWN:
        adult = _evaluate(
            instrument, normalised, is_child=False, coverage_insufficient=coverage_insufficient
        )
        child = _evaluate(
            instrument, normalised, is_child=True, coverage_insufficient=coverage_insufficient
        )
        outcome_if_adult, outcome_if_child = adult.outcome, child.outcome
        # max(adult, min(child, insufficient)): the child rule never asks for more than the
        # adult one, so the child outcome is at least the adult one; where they differ the
        # age decides, and it is unknown.
        capped_child = min(child.outcome, Outcome.INSUFFICIENT_INFORMATION, key=CONCERN.__getitem__)
        outcome = max(adult.outcome, capped_child, key=CONCERN.__getitem__)
        shown = adult
    else:
        shown = _evaluate(
            instrument,
            normalised,
            is_child=group is AgeGroup.CHILD,
            coverage_insufficient=coverage_insufficient,
        )
        outcome = shown.outcome

    indicators = tuple(
        RaisedIndicator(
            id=indicator.id,
            strength=indicator.strength,
            dimension=indicator.dimension,
            element=indicator.element,
            raised_by=tuple(shown.raised[indicator.id]),
            exploitation_types=indicator.exploitation_types,
            control_methods=indicator.control_methods,
        )
        for indicator in instrument.indicators
        if indicator.id in shown.raised
    )
    types = {t for i in indicators for t in i.exploitation_types}
    context = _context_types(instrument, normalised)
    if shown.elements[Element.PURPOSE].status is ElementStatus.PRESENT:
        types |= context
    methods = {m for i in indicators for m in i.control_methods}

    assessment_without_trail = dict(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        outcome=outcome,
        elements=shown.elements,
        dimensions=tuple(shown.dimensions),
        indicators=indicators,
        age_group=group,
        child_rule_applied=group is AgeGroup.CHILD,
        exploitation_types=tuple(t for t in EXPLOITATION_TYPES if t in types),
        control_methods=tuple(m for m in CONTROL_METHODS if m in methods),
        not_asked=tuple(q for q, a in normalised.items() if a == "not_asked"),
        declined=tuple(q for q, a in normalised.items() if a == "declined"),
        key_questions_unanswered=key_unanswered,
        outcome_if_adult=outcome_if_adult,
        outcome_if_child=outcome_if_child,
        answers=normalised,
    )
    trail = _explain(
        instrument,
        normalised,
        shown,
        outcome=outcome,
        group=group,
        indicators=indicators,
        context=context,
        outcome_if_adult=outcome_if_adult,
        outcome_if_child=outcome_if_child,
    )
    return Assessment(explanation=tuple(trail), **assessment_without_trail)  # type: ignore[arg-type]


def _context_types(instrument: Instrument, answers: Mapping[str, AnswerValue]) -> set[str]:
    types: set[str] = set()
    for question in instrument.questions.values():
        answer = answers[question.id]
        if _is_unanswered(answer) or question.answer_type not in (
            AnswerType.CHOICE,
            AnswerType.MULTI_CHOICE,
        ):
            continue
        chosen = answer if isinstance(answer, tuple) else (answer,)
        for value in chosen:
            option = question.option(str(value))
            if option:
                types.update(option.exploitation_types)
    return types


# --------------------------------------------------------------------------------------
# The explanation trail
# --------------------------------------------------------------------------------------


def _step(
    code: str, params: dict[str, Any], localised_params: dict[str, Text] | None = None
) -> Step:
    """Render a step in every language; `localised_params` holds per-language values."""
    messages: Text = {}
    for language in LANGUAGES:
        values = dict(params)
        for name, texts in (localised_params or {}).items():
            values[name] = localised(texts, language)
        messages[language] = TEMPLATES[code][language].format(**values)
    return Step(code=code, params=params, messages=messages)


def _per_language(render: Any) -> Text:
    return {language: render(language) for language in LANGUAGES}


def _answer_text(question: Question, answer: AnswerValue, language: str) -> str:
    values = answer if isinstance(answer, tuple) else (answer,)
    shown = []
    for value in values:
        option = question.option(value) if isinstance(value, str) else None
        shown.append(
            localised(option.label, language)
            if option
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
    return ", ".join(shown)


def _rule_text(dimension: Dimension, result: DimensionResult) -> Text:
    """The threshold that was met, in words of each language ("strong: 1 + medium: 1")."""
    threshold = next(
        t for t in dimension.thresholds if t.met(result.strong, result.medium, result.weak)
    )
    counts = (
        (threshold.strong, Strength.STRONG),
        (threshold.medium, Strength.MEDIUM),
        (threshold.weak, Strength.WEAK),
    )
    return _per_language(
        lambda lang: " + ".join(
            f"{localised(STRENGTH_COUNT_LABELS[s], lang)}: {n}" for n, s in counts if n
        )
    )


def _element_list(elements: list[Element]) -> Text:
    return _per_language(
        lambda lang: ", ".join(localised(ELEMENT_LABELS[e], lang) for e in elements)
    )


def _explain(
    instrument: Instrument,
    answers: Mapping[str, AnswerValue],
    evaluation: _Evaluation,
    *,
    outcome: Outcome,
    group: AgeGroup,
    indicators: tuple[RaisedIndicator, ...],
    context: set[str],
    outcome_if_adult: Outcome | None,
    outcome_if_child: Outcome | None,
) -> list[Step]:
    steps: list[Step] = []
    not_asked = sum(1 for a in answers.values() if a == "not_asked")
    declined = sum(1 for a in answers.values() if a == "declined")
    steps.append(
        _step(
            "answers.summary",
            {
                "answered": len(answers) - not_asked - declined,
                "total": len(answers),
                "not_asked": not_asked,
                "declined": declined,
            },
        )
    )
    for raised in indicators:
        indicator = instrument.indicator(raised.id)
        dimension = instrument.dimension(indicator.dimension)
        for question_id, answer in raised.raised_by:
            question = instrument.question(question_id)
            steps.append(
                _step(
                    "indicator.raised",
                    {
                        "question_id": question_id,
                        "answer_value": list(answer) if isinstance(answer, tuple) else answer,
                        "indicator_id": indicator.id,
                        "strength_value": indicator.strength.value,
                        "dimension_id": dimension.id,
                    },
                    {
                        "answer": _per_language(
                            lambda lang, q=question, a=answer: _answer_text(q, a, lang)
                        ),
                        "question": question.text,
                        "indicator": indicator.label,
                        "strength": STRENGTH_LABELS[indicator.strength],
                        "dimension": dimension.label,
                    },
                )
            )
    for result in evaluation.dimensions:
        if not (result.strong or result.medium or result.weak):
            continue
        dimension = instrument.dimension(result.id)
        params = {
            "dimension_id": result.id,
            "strong": result.strong,
            "medium": result.medium,
            "weak": result.weak,
            "indicators": list(result.indicators),
        }
        labels = {"dimension": dimension.label, "element": ELEMENT_LABELS[result.element]}
        if result.positive:
            code = "dimension.positive"
            params["rule_value"] = result.rule
            labels["rule"] = _rule_text(dimension, result)
        elif result.strong == 0 and result.medium == 0:
            code = "dimension.weak_only"
        else:
            code = "dimension.not_positive"
        steps.append(_step(code, params, labels))
    for element, element_result in evaluation.elements.items():
        code = f"element.{element_result.status.value}"
        labels = {"element": ELEMENT_LABELS[element]}
        params = {"element_id": element.value, "required": element_result.required}
        if element_result.status is ElementStatus.PRESENT:
            params["dimension_ids"] = list(element_result.dimensions)
            labels["dimensions"] = _per_language(
                lambda lang, ids=element_result.dimensions: "; ".join(
                    localised(instrument.dimension(d).label, lang) for d in ids
                )
            )
        elif element_result.status is ElementStatus.UNKNOWN:
            params["questions"] = ", ".join(element_result.could_be_established_by)
            params["question_ids"] = list(element_result.could_be_established_by)
        steps.append(_step(code, params, labels))

    if group is AgeGroup.CHILD:
        steps.append(_step("age.child", {"age_group": group.value}))
    elif group is AgeGroup.ADULT:
        steps.append(_step("age.adult", {"age_group": group.value}))
    else:
        assert outcome_if_adult is not None and outcome_if_child is not None  # noqa: S101
        steps.append(
            _step(
                "age.unknown",
                {
                    "age_group": group.value,
                    "adult_value": outcome_if_adult.value,
                    "child_value": outcome_if_child.value,
                },
                {
                    "adult": OUTCOME_LABELS[outcome_if_adult],
                    "child": OUTCOME_LABELS[outcome_if_child],
                },
            )
        )

    key = instrument.key_questions
    unanswered_key = [q for q in key if _is_unanswered(answers[q])]
    if evaluation.coverage_insufficient:
        allowed = int(instrument.max_unanswered_key_share * len(key))
        steps.append(
            _step(
                "coverage.insufficient",
                {
                    "unanswered": len(unanswered_key),
                    "key": len(key),
                    "allowed": allowed,
                    "question_ids": unanswered_key,
                },
            )
        )
    if (
        context
        and outcome is not Outcome.PRESUMED_TRAFFICKED
        and evaluation.elements[Element.PURPOSE].status is not ElementStatus.PRESENT
    ):
        names = ", ".join(t for t in EXPLOITATION_TYPES if t in context)
        steps.append(_step("context.not_alone", {"types": names}))

    required = CHILD_REQUIRES if group is AgeGroup.CHILD else ADULT_REQUIRES
    outcome_labels = {"outcome": OUTCOME_LABELS[outcome]}
    if outcome is Outcome.PRESUMED_TRAFFICKED:
        present = [e for e in required if evaluation.elements[e].status is ElementStatus.PRESENT]
        steps.append(
            _step(
                "outcome.presumed_trafficked",
                {"outcome_value": outcome.value, "element_ids": [e.value for e in present]},
                {**outcome_labels, "elements": _element_list(present)},
            )
        )
    elif outcome is Outcome.NOT_INDICATED:
        absent = [e for e in required if evaluation.elements[e].status is ElementStatus.ABSENT]
        steps.append(
            _step(
                "outcome.not_indicated",
                {"outcome_value": outcome.value, "element_ids": [e.value for e in absent]},
                {**outcome_labels, "elements": _element_list(absent)},
            )
        )
    else:
        unknown = [e for e in required if evaluation.elements[e].status is ElementStatus.UNKNOWN]
        reason_labels: dict[str, Text]
        if evaluation.coverage_insufficient:
            reason_code, reason_labels = "reason.coverage", {}
        elif group is AgeGroup.UNKNOWN and outcome_if_adult != outcome_if_child:
            reason_code, reason_labels = "reason.age", {}
        else:
            reason_code, reason_labels = (
                "reason.unknown_elements",
                {"elements": _element_list(unknown)},
            )
        reason = _per_language(
            lambda lang: TEMPLATES[reason_code][lang].format(
                **{name: localised(texts, lang) for name, texts in reason_labels.items()}
            )
        )
        steps.append(
            _step(
                "outcome.insufficient_information",
                {
                    "outcome_value": outcome.value,
                    "reason_code": reason_code,
                    "element_ids": [e.value for e in unknown],
                },
                {**outcome_labels, "reason": reason},
            )
        )
    return steps
