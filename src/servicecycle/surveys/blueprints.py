"""Ready-made surveys to start from: their questions written in English, Russian, Malay and Spanish.

The wording is our own. The SERVQUAL blueprint follows the method in DOMAIN.md (METHODS, Gap): 22 items
in five dimensions, each answered twice on 1..7 (what an excellent provider would do, and what we did),
then 100 points shared among the five dimensions to weight the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

T = dict[str, str]


def t(en: str, ru: str, ms: str, es: str) -> T:
    return {"en": en, "ru": ru, "ms": ms, "es": es}


@dataclass(frozen=True)
class QuestionPlan:
    kind: str
    texts: T
    scale: tuple[int, int] | None = None
    choices: list[T] = field(default_factory=list)
    attributes: list[tuple[T, str]] = field(default_factory=list)  # (texts, SERVQUAL dimension or "")
    required: bool = True
    dimension: str = ""
    item_number: int | None = None
    # show only when the answer to the question at this index (0-based) is one of these values
    condition: tuple[int, list[int]] | None = None
    candidate_services: bool = False  # attributes are the organization's planned services


@dataclass(frozen=True)
class Blueprint:
    key: str
    kind: str  # Survey.Kind
    titles: T
    questions: list[QuestionPlan]


SERVQUAL_ITEMS: list[tuple[str, T]] = [
    # tangibles
    (
        "tangibles",
        t(
            "The equipment and tools in use are modern.",
            "Используемое оборудование и инструменты современные.",
            "Peralatan dan alat yang digunakan adalah moden.",
            "El equipo y las herramientas que se usan son modernos.",
        ),
    ),
    (
        "tangibles",
        t(
            "The premises and facilities look inviting.",
            "Помещения и оснащение выглядят привлекательно.",
            "Premis dan kemudahan kelihatan menarik.",
            "Las instalaciones tienen un aspecto acogedor.",
        ),
    ),
    (
        "tangibles",
        t(
            "Staff look neat and professional.",
            "Сотрудники выглядят опрятно и профессионально.",
            "Kakitangan kelihatan kemas dan profesional.",
            "El personal tiene un aspecto cuidado y profesional.",
        ),
    ),
    (
        "tangibles",
        t(
            "Forms, statements and leaflets, on paper or online, are clear and tidy.",
            "Бланки, счета и буклеты, бумажные или онлайн, понятные и аккуратные.",
            "Borang, penyata dan risalah, bercetak atau dalam talian, jelas dan kemas.",
            "Los formularios, extractos y folletos, en papel o en línea, son claros y ordenados.",
        ),
    ),
    # reliability
    (
        "reliability",
        t(
            "When something is promised for a certain date, it is done by then.",
            "Если что-то обещано к определённой дате, это сделано к ней.",
            "Apabila sesuatu dijanjikan pada tarikh tertentu, ia siap menjelang tarikh itu.",
            "Cuando se promete algo para una fecha, está hecho para entonces.",
        ),
    ),
    (
        "reliability",
        t(
            "When a customer has a problem, staff genuinely try to solve it.",
            "Когда у клиента возникает проблема, сотрудники искренне стараются её решить.",
            "Apabila pelanggan menghadapi masalah, kakitangan benar-benar berusaha menyelesaikannya.",
            "Cuando un cliente tiene un problema, el personal se esfuerza de verdad en resolverlo.",
        ),
    ),
    (
        "reliability",
        t(
            "The service is done right the first time.",
            "Услуга выполняется правильно с первого раза.",
            "Perkhidmatan dilakukan dengan betul pada kali pertama.",
            "El servicio se hace bien a la primera.",
        ),
    ),
    (
        "reliability",
        t(
            "The service is delivered at the time it was promised.",
            "Услуга оказывается в обещанное время.",
            "Perkhidmatan diberikan pada masa yang dijanjikan.",
            "El servicio se presta en el momento prometido.",
        ),
    ),
    (
        "reliability",
        t(
            "Records and bills are kept free of mistakes.",
            "Документы и счета ведутся без ошибок.",
            "Rekod dan bil disimpan tanpa kesilapan.",
            "Los registros y las facturas se llevan sin errores.",
        ),
    ),
    # responsiveness
    (
        "responsiveness",
        t(
            "Staff tell customers exactly when things will be done.",
            "Сотрудники точно сообщают клиентам, когда всё будет сделано.",
            "Kakitangan memberitahu pelanggan dengan tepat bila sesuatu akan siap.",
            "El personal dice a los clientes con exactitud cuándo estará hecho cada cosa.",
        ),
    ),
    (
        "responsiveness",
        t(
            "Customers are served without delay.",
            "Клиентов обслуживают без задержек.",
            "Pelanggan dilayan tanpa berlengah.",
            "Los clientes son atendidos sin demora.",
        ),
    ),
    (
        "responsiveness",
        t(
            "Staff are always willing to help.",
            "Сотрудники всегда готовы помочь.",
            "Kakitangan sentiasa sudi membantu.",
            "El personal siempre está dispuesto a ayudar.",
        ),
    ),
    (
        "responsiveness",
        t(
            "Staff are never too busy to answer a request.",
            "Сотрудники никогда не слишком заняты, чтобы откликнуться на просьбу.",
            "Kakitangan tidak pernah terlalu sibuk untuk melayan permintaan.",
            "El personal nunca está demasiado ocupado para atender una petición.",
        ),
    ),
    # assurance
    (
        "assurance",
        t(
            "The way staff behave gives customers confidence.",
            "Поведение сотрудников вызывает у клиентов доверие.",
            "Cara kakitangan bertindak memberi keyakinan kepada pelanggan.",
            "La forma de actuar del personal da confianza a los clientes.",
        ),
    ),
    (
        "assurance",
        t(
            "Customers feel safe when dealing with the company.",
            "Клиенты чувствуют себя спокойно, имея дело с компанией.",
            "Pelanggan berasa selamat apabila berurusan dengan syarikat.",
            "Los clientes se sienten seguros al tratar con la empresa.",
        ),
    ),
    (
        "assurance",
        t(
            "Staff are courteous every time.",
            "Сотрудники всегда вежливы.",
            "Kakitangan bersopan santun setiap masa.",
            "El personal es cortés en todo momento.",
        ),
    ),
    (
        "assurance",
        t(
            "Staff know enough to answer customers' questions.",
            "Сотрудникам хватает знаний, чтобы ответить на вопросы клиентов.",
            "Kakitangan cukup berpengetahuan untuk menjawab soalan pelanggan.",
            "El personal sabe lo suficiente para responder a las preguntas de los clientes.",
        ),
    ),
    # empathy
    (
        "empathy",
        t(
            "Each customer gets attention as an individual.",
            "Каждому клиенту уделяют внимание лично.",
            "Setiap pelanggan diberi perhatian sebagai individu.",
            "Cada cliente recibe atención como persona.",
        ),
    ),
    (
        "empathy",
        t(
            "Opening hours suit all customers.",
            "Часы работы удобны всем клиентам.",
            "Waktu operasi sesuai untuk semua pelanggan.",
            "El horario de atención conviene a todos los clientes.",
        ),
    ),
    (
        "empathy",
        t(
            "Staff look after customers personally.",
            "Сотрудники заботятся о клиентах лично.",
            "Kakitangan menjaga pelanggan secara peribadi.",
            "El personal se ocupa de los clientes de forma personal.",
        ),
    ),
    (
        "empathy",
        t(
            "The company puts its customers' interests first.",
            "Компания ставит интересы клиентов на первое место.",
            "Syarikat mengutamakan kepentingan pelanggannya.",
            "La empresa antepone los intereses de sus clientes.",
        ),
    ),
    (
        "empathy",
        t(
            "Staff understand what each customer specifically needs.",
            "Сотрудники понимают, что нужно именно этому клиенту.",
            "Kakitangan memahami keperluan khusus setiap pelanggan.",
            "El personal entiende lo que necesita cada cliente en concreto.",
        ),
    ),
]

SERVQUAL_DIMENSIONS: list[tuple[T, str]] = [
    (
        t(
            "How the premises, equipment, staff and paperwork look",
            "Как выглядят помещения, оборудование, сотрудники и документы",
            "Rupa premis, peralatan, kakitangan dan dokumen",
            "El aspecto de las instalaciones, el equipo, el personal y los documentos",
        ),
        "tangibles",
    ),
    (
        t(
            "Doing what was promised, dependably and accurately",
            "Надёжно и точно выполнять обещанное",
            "Melaksanakan apa yang dijanjikan dengan boleh dipercayai dan tepat",
            "Cumplir lo prometido de forma fiable y precisa",
        ),
        "reliability",
    ),
    (
        t(
            "Willingness to help and to serve promptly",
            "Готовность помочь и быстро обслужить",
            "Kesediaan membantu dan melayan dengan segera",
            "La disposición a ayudar y a atender con rapidez",
        ),
        "responsiveness",
    ),
    (
        t(
            "Staff's knowledge and courtesy, and the trust they inspire",
            "Знания и вежливость сотрудников и доверие, которое они вызывают",
            "Pengetahuan dan kesopanan kakitangan, serta kepercayaan yang mereka bina",
            "Los conocimientos y la cortesía del personal, y la confianza que inspira",
        ),
        "assurance",
    ),
    (
        t(
            "Caring, individual attention to each customer",
            "Заботливое, личное внимание к каждому клиенту",
            "Perhatian yang prihatin dan peribadi kepada setiap pelanggan",
            "Una atención cercana e individual a cada cliente",
        ),
        "empathy",
    ),
]


def _servqual() -> Blueprint:
    questions = [
        QuestionPlan(kind="servqual_pair", texts=texts, dimension=dimension, item_number=number)
        for number, (dimension, texts) in enumerate(SERVQUAL_ITEMS, start=1)
    ]
    questions.append(
        QuestionPlan(
            kind="allocation",
            texts=t(
                "Share 100 points among these five aspects of service: the more an aspect matters to you, "
                "the more points it gets.",
                "Распределите 100 баллов между этими пятью сторонами обслуживания: чем важнее для вас "
                "сторона, тем больше баллов.",
                "Bahagikan 100 mata antara lima aspek perkhidmatan ini: semakin penting sesuatu aspek "
                "kepada anda, semakin banyak mata untuknya.",
                "Reparta 100 puntos entre estos cinco aspectos del servicio: cuanto más le importe un "
                "aspecto, más puntos recibe.",
            ),
            attributes=SERVQUAL_DIMENSIONS,
        )
    )
    return Blueprint(
        key="servqual",
        kind="servqual",
        titles=t(
            "Service quality: what you expect and what you get",
            "Качество обслуживания: чего вы ждёте и что получаете",
            "Kualiti perkhidmatan: apa yang anda harapkan dan apa yang anda terima",
            "Calidad del servicio: lo que espera y lo que recibe",
        ),
        questions=questions,
    )


def _importance() -> Blueprint:
    return Blueprint(
        key="importance",
        kind="importance",
        titles=t(
            "Which new services would you use?",
            "Какими новыми услугами вы бы воспользовались?",
            "Perkhidmatan baharu manakah yang akan anda gunakan?",
            "¿Qué servicios nuevos usaría?",
        ),
        questions=[
            QuestionPlan(
                kind="allocation",
                texts=t(
                    "We are thinking about offering these services. Share 100 points among them: "
                    "the more useful a service would be to you, the more points it gets.",
                    "Мы думаем о том, чтобы предложить эти услуги. Распределите между ними 100 баллов: "
                    "чем полезнее вам услуга, тем больше баллов.",
                    "Kami bercadang menawarkan perkhidmatan ini. Bahagikan 100 mata antaranya: "
                    "semakin berguna sesuatu perkhidmatan kepada anda, semakin banyak mata untuknya.",
                    "Estamos pensando en ofrecer estos servicios. Reparta 100 puntos entre ellos: "
                    "cuanto más útil le resulte un servicio, más puntos recibe.",
                ),
                candidate_services=True,
            ),
            QuestionPlan(
                kind="rating",
                scale=(1, 5),
                texts=t(
                    "How likely are you to use at least one of these services? (1 = not at all, 5 = certainly)",
                    "Насколько вероятно, что вы воспользуетесь хотя бы одной из этих услуг? "
                    "(1 — совсем нет, 5 — точно)",
                    "Sejauh manakah kemungkinan anda menggunakan sekurang-kurangnya satu perkhidmatan ini? "
                    "(1 = langsung tidak, 5 = pasti)",
                    "¿Qué probabilidad hay de que use al menos uno de estos servicios? (1 = ninguna, 5 = seguro)",
                ),
            ),
            QuestionPlan(
                kind="text",
                required=False,
                texts=t(
                    "Is there another service you would like us to offer?",
                    "Есть ли другая услуга, которую вы хотели бы у нас получить?",
                    "Adakah perkhidmatan lain yang anda mahu kami tawarkan?",
                    "¿Hay otro servicio que le gustaría que ofreciéramos?",
                ),
            ),
        ],
    )


def _post_resolution() -> Blueprint:
    return Blueprint(
        key="post_resolution",
        kind="post_resolution",
        titles=t(
            "How did we handle your request?",
            "Как мы справились с вашим обращением?",
            "Bagaimanakah kami mengendalikan permintaan anda?",
            "¿Cómo atendimos su solicitud?",
        ),
        questions=[
            QuestionPlan(
                kind="csat",
                texts=t(
                    "How satisfied are you with the way your request was resolved? (1 = very dissatisfied, "
                    "5 = very satisfied)",
                    "Насколько вы довольны тем, как решено ваше обращение? (1 — совсем недоволен, 5 — очень доволен)",
                    "Sejauh manakah anda berpuas hati dengan cara permintaan anda diselesaikan? "
                    "(1 = sangat tidak berpuas hati, 5 = sangat berpuas hati)",
                    "¿Qué tan satisfecho está con la forma en que se resolvió su solicitud? "
                    "(1 = muy insatisfecho, 5 = muy satisfecho)",
                ),
            ),
            QuestionPlan(
                kind="ces",
                texts=t(
                    "It was easy to get my request resolved. (1 = strongly disagree, 7 = strongly agree)",
                    "Решить мой вопрос было легко. (1 — совершенно не согласен, 7 — полностью согласен)",
                    "Mudah untuk permintaan saya diselesaikan. (1 = sangat tidak setuju, 7 = sangat setuju)",
                    "Fue fácil resolver mi solicitud. (1 = totalmente en desacuerdo, 7 = totalmente de acuerdo)",
                ),
            ),
            QuestionPlan(
                kind="text",
                required=False,
                condition=(0, [1, 2, 3]),
                texts=t(
                    "What should we have done differently?",
                    "Что нам следовало сделать иначе?",
                    "Apakah yang sepatutnya kami lakukan dengan cara berbeza?",
                    "¿Qué deberíamos haber hecho de otra manera?",
                ),
            ),
        ],
    )


def _staff() -> Blueprint:
    def rating(en: str, ru: str, ms: str, es: str) -> QuestionPlan:
        return QuestionPlan(kind="rating", scale=(1, 5), texts=t(en, ru, ms, es))

    return Blueprint(
        key="staff",
        kind="staff",
        titles=t(
            "Your manager, seen from your side",
            "Ваш руководитель глазами команды",
            "Pengurus anda, dari sudut pandangan anda",
            "Su responsable, visto desde su lado",
        ),
        questions=[
            rating(
                "My manager gives me the information I need to serve customers well. (1 = never, 5 = always)",
                "Руководитель даёт мне информацию, нужную для хорошего обслуживания клиентов. "
                "(1 — никогда, 5 — всегда)",
                "Pengurus saya memberi maklumat yang saya perlukan untuk melayan pelanggan dengan baik. "
                "(1 = tidak pernah, 5 = sentiasa)",
                "Mi responsable me da la información que necesito para atender bien a los clientes. "
                "(1 = nunca, 5 = siempre)",
            ),
            rating(
                "My manager clears away obstacles that keep me from helping customers. (1 = never, 5 = always)",
                "Руководитель устраняет препятствия, которые мешают мне помогать клиентам. (1 — никогда, 5 — всегда)",
                "Pengurus saya menyingkirkan halangan yang menghalang saya membantu pelanggan. "
                "(1 = tidak pernah, 5 = sentiasa)",
                "Mi responsable elimina los obstáculos que me impiden ayudar a los clientes. (1 = nunca, 5 = siempre)",
            ),
            rating(
                "My manager notices and values good service. (1 = never, 5 = always)",
                "Руководитель замечает и ценит хорошее обслуживание. (1 — никогда, 5 — всегда)",
                "Pengurus saya menyedari dan menghargai perkhidmatan yang baik. (1 = tidak pernah, 5 = sentiasa)",
                "Mi responsable se fija en el buen servicio y lo valora. (1 = nunca, 5 = siempre)",
            ),
            rating(
                "I can reach my manager when I need help with a customer. (1 = never, 5 = always)",
                "Я могу обратиться к руководителю, когда мне нужна помощь с клиентом. (1 — никогда, 5 — всегда)",
                "Saya boleh menghubungi pengurus saya apabila memerlukan bantuan dengan pelanggan. "
                "(1 = tidak pernah, 5 = sentiasa)",
                "Puedo contar con mi responsable cuando necesito ayuda con un cliente. (1 = nunca, 5 = siempre)",
            ),
            QuestionPlan(
                kind="nps",
                texts=t(
                    "How likely are you to recommend working in your manager's team to a friend? "
                    "(0 = not at all likely, 10 = extremely likely)",
                    "Насколько вероятно, что вы порекомендуете другу работу в команде вашего руководителя? "
                    "(0 — совсем маловероятно, 10 — очень вероятно)",
                    "Sejauh manakah kemungkinan anda mengesyorkan kepada rakan untuk bekerja dalam pasukan "
                    "pengurus anda? (0 = langsung tidak, 10 = sangat mungkin)",
                    "¿Qué probabilidad hay de que recomiende a un amigo trabajar en el equipo de su responsable? "
                    "(0 = ninguna, 10 = muy probable)",
                ),
            ),
            QuestionPlan(
                kind="text",
                required=False,
                texts=t(
                    "What one thing should your manager start or stop doing?",
                    "Что одно ваш руководитель должен начать или перестать делать?",
                    "Apakah satu perkara yang patut pengurus anda mula atau berhenti lakukan?",
                    "¿Qué cosa debería su responsable empezar o dejar de hacer?",
                ),
            ),
        ],
    )


BLUEPRINTS: dict[str, Blueprint] = {b.key: b for b in (_servqual(), _importance(), _post_resolution(), _staff())}


def choices_of(plan: QuestionPlan) -> list[dict[str, Any]]:
    return [{"code": code, "texts": texts} for code, texts in enumerate(plan.choices, start=1)]
