"""Role words: what rosters write in the role column, in uk, ru, ar, fr and en, and the four roles.

A cell is matched as a whole first, then on its main word: the longest run of words inside it
that is a known title ("Вчитель англійської мови" -> вчитель -> teacher, "Заступник директора з
НВР" -> заступник директора -> admin). When two different roles match equally long runs
("директор, вчитель історії") the cell is ambiguous and rejected rather than guessed.

The policy's [roles] table adds words and phrases or overrides the built-in ones; its words are
looked at before ours at every length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from importers.normalize import ROLES, key

POLICY_TABLE = "roles"  # the policy file's table that adds words: [roles] "word" = "teacher"

ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "admin": (
        # en
        "admin",
        "administrator",
        "administration",
        "principal",
        "vice principal",
        "assistant principal",
        "deputy principal",
        "headteacher",
        "head teacher",
        "deputy head",
        "director",
        "headmaster",
        "headmistress",
        "school leader",
        "dean",
        "rector",
        "provost",
        "superintendent",
        # uk
        "адміністратор",
        "адміністраторка",
        "адміністрація",
        "директор",
        "директорка",
        "заступник директора",
        "заступниця директора",
        "завуч",
        "ректор",
        "проректор",
        "проректорка",
        "декан",
        "деканка",
        "заступник декана",
        "завідувач",
        "завідувачка",
        # ru
        "администратор",
        "администрация",
        "заместитель директора",
        "заведующий",
        "заведующая",
        "проректор",
        "декан",
        # fr
        "directeur",
        "directrice",
        "directeur adjoint",
        "directrice adjointe",
        "administrateur",
        "administratrice",
        "proviseur",
        "proviseure",
        "proviseur adjoint",
        "principal adjoint",
        "principale adjointe",
        "principale",
        "doyen",
        "doyenne",
        "recteur",
        "rectrice",
        # ar
        "مدير",
        "مديرة",
        "مدير مساعد",
        "نائب المدير",
        "وكيل",
        "وكيلة",
        "ناظر",
        "ناظرة",
        "عميد",
        "عميدة",
        "وكيل الكلية",
        "رئيس الجامعة",
        "إداري",
        "إدارية",
        "الإدارة",
        "مسؤول",
    ),
    "teacher": (
        # en
        "teacher",
        "instructor",
        "professor",
        "assistant professor",
        "associate professor",
        "lecturer",
        "senior lecturer",
        "educator",
        "faculty",
        "tutor",
        "substitute teacher",
        "head of department",
        # uk
        "вчитель",
        "вчителька",
        "вчитель-методист",
        "учитель",
        "учителька",
        "викладач",
        "викладачка",
        "педагог",
        "педагог-організатор",
        "вихователь",
        "вихователька",
        "вихователь-методист",
        "методист",
        "доцент",
        "професор",
        "асистент",
        "асистентка",
        "старший викладач",
        "завідувач кафедри",
        "керівник гуртка",
        # ru
        "учительница",
        "учитель-методист",
        "преподаватель",
        "преподавательница",
        "воспитатель",
        "воспитательница",
        "профессор",
        "старший преподаватель",
        "заведующий кафедрой",
        # fr
        "enseignant",
        "enseignante",
        "enseignant-chercheur",
        "professeur",
        "professeure",
        "professeur des écoles",
        "professeur documentaliste",
        "instituteur",
        "institutrice",
        "maître",
        "maîtresse",
        "maître de conférences",
        "chargé de cours",
        "chargée de cours",
        # ar
        "معلم",
        "معلمة",
        "مدرس",
        "مدرسة",
        "أستاذ",
        "أستاذة",
        "أستاذ مساعد",
        "أستاذ مشارك",
        "أستاذ محاضر",
        "مُعلّم",
        "محاضر",
        "محاضرة",
        "معيد",
        "معيدة",
        "مربي",
        "مربية",
        "رئيس قسم",
    ),
    "student": (
        # en
        "student",
        "pupil",
        "learner",
        # uk
        "учень",
        "учениця",
        "студент",
        "студентка",
        "аспірант",
        "аспірантка",
        "слухач",
        # ru
        "ученик",
        "ученица",
        "учащийся",
        "аспирант",
        # fr
        "élève",
        "étudiant",
        "étudiante",
        "apprenant",
        "apprenante",
        "doctorant",
        "doctorante",
        # ar
        "طالب",
        "طالبة",
        "تلميذ",
        "تلميذة",
    ),
    "staff": (
        # en
        "staff",
        "aide",
        "employee",
        "proctor",
        "assistant",
        "teaching assistant",
        "support staff",
        "counselor",
        "counsellor",
        "librarian",
        "secretary",
        "nurse",
        "technician",
        "psychologist",
        # uk
        "персонал",
        "працівник",
        "працівниця",
        "співробітник",
        "співробітниця",
        "асистент вчителя",
        "психолог",
        "практичний психолог",
        "соціальний педагог",
        "бібліотекар",
        "бібліотекарка",
        "секретар",
        "секретарка",
        "лаборант",
        "лаборантка",
        "бухгалтер",
        "медсестра",
        # ru
        "сотрудник",
        "сотрудница",
        "работник",
        "библиотекарь",
        "секретарь",
        "социальный педагог",
        # fr
        "personnel",
        "employé",
        "employée",
        "agent",
        "cpe",
        "conseiller principal d'éducation",
        "conseillère principale d'éducation",
        "assistant d'éducation",
        "assistante d'éducation",
        "aed",
        "atsem",
        "surveillant",
        "surveillante",
        "documentaliste",
        "secrétaire",
        "infirmier",
        "infirmière",
        "intendant",
        "gestionnaire",
        # ar
        "موظف",
        "موظفة",
        "عامل",
        "عاملة",
        "مرشد",
        "مرشدة",
        "أمين مكتبة",
        "سكرتير",
        "سكرتيرة",
        "أخصائي اجتماعي",
        "ممرض",
        "ممرضة",
    ),
}

# Words split on spaces and on the punctuation titles are written with ("вчитель-методист",
# "maths/physics", "teacher (maths)"); apostrophes stay inside the word ("d'éducation").
_SPLIT = re.compile(r"[\s\-\u2010-\u2015/,;:()\[\]]+")
_MAX_WORDS = 6  # the longest title we know has 4 words; more is a sentence, not a title


def _scripts(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name.startswith("CYRILLIC"):
                return "cyrillic"
            if name.startswith("ARABIC"):
                return "arabic"
    return "latin"


class RoleWords:
    """The built-in vocabulary, with a policy's [roles] table over it."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self.extra = {key(word): role for word, role in (extra or {}).items() if key(word)}
        self._builtin = {key(word): role for role, words in ROLE_WORDS.items() for word in words}
        self._extra_words = dict(extra or {})
        self.map = lru_cache(maxsize=8192)(self._map)

    def _lookup(self, folded: str) -> str | None:
        return self.extra.get(folded) or self._builtin.get(folded)

    def _map(self, cell: str) -> str | None:
        found = self.match(cell)
        return found[0] if found and len(found) == 1 else None

    def match(self, cell: str) -> list[str]:
        """The roles the longest matching run of words names: [] none, one role, or several (ambiguous)."""
        whole = self._lookup(key(cell))
        if whole is not None:
            return [whole]
        words = [key(w) for w in _SPLIT.split(unicodedata.normalize("NFC", cell)) if key(w)]
        for length in range(min(len(words), _MAX_WORDS), 0, -1):
            roles: dict[str, None] = {}
            for start in range(len(words) - length + 1):
                role = self._lookup("".join(words[start : start + length]))
                if role is not None:
                    roles[role] = None
            if roles:
                return list(roles)
        return []

    def role(self, cell: str) -> str | None:
        """The role for a cell, or None (unknown or ambiguous)."""
        return self.map(cell)

    def unknown_detail(self, cell: str) -> str:
        """Why a cell has no role, the accepted words of its script, and how to add one."""
        found = self.match(cell)
        why = f"it names {' and '.join(found)}: ambiguous; " if len(found) > 1 else ""
        script = _scripts(cell)
        by_role: dict[str, list[str]] = {role: [] for role in ROLES}
        for role, words in ROLE_WORDS.items():
            by_role[role].extend(w for w in words if _scripts(w) == script)
        for word, role in self._extra_words.items():
            if role in by_role and _scripts(word) == script:
                by_role[role].append(word)
        accepted = "; ".join(f"{role}: {', '.join(words)}" for role, words in by_role.items() if words)
        example = cell.strip() or "вчитель-логопед"
        return (
            f"{why}accepted words: {accepted}; to accept this one add it to the policy file's "
            f'[{POLICY_TABLE}] table, e.g. "{example}" = "teacher" (roles: {", ".join(ROLES)})'
        )


DEFAULT_ROLE_WORDS = RoleWords()


def map_role(word: str) -> str | None:
    """The canonical role (admin|teacher|staff|student) for a word in any of our languages."""
    return DEFAULT_ROLE_WORDS.role(word)
