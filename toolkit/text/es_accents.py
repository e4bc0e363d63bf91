"""Spanish accents and tildes restored in transcripts written without them.

The asterisk Spanish transcripts are typed in plain ASCII (``Por favor ingrese
su contrasena``, ``numero``, ``invalida``), so espeak-ng reads them as written:
``numero`` stressed on the penultimate syllable, ``contrasena`` with an ``n``.
:func:`restore_accents` puts back the marks of the common words, with two rules:

- a word in :data:`WORDS` takes its accented form. The map holds only words
  whose unaccented spelling is not a Spanish word itself (``numero`` but not
  ``esta`` / ``está``, ``si`` / ``sí``, ``el`` / ``él``, ``solo``); ``mas`` is
  mapped to ``más`` because these prompts use it only as "more" ("para mas
  opciones"), never as the literary "but";
- a word ending in ``-cion`` / ``-sion`` ends in ``-ción`` / ``-sión`` (every
  such singular noun carries the accent; the plural ``-ciones`` needs none).

Case is kept (``Numero`` -> ``Número``). Words already accented and words the
map does not know are left alone, so correctly written text is unchanged.
The list was made by reading the word counts of the asterisk ``es``
transcripts; it is not a spelling corrector.
"""

from __future__ import annotations

import re

WORDS = {
    "numero": "número", "numeros": "números", "contrasena": "contraseña",
    "contrasenas": "contraseñas", "contrasenia": "contraseña", "menu": "menú",
    "ultimo": "último", "ultima": "última", "invalido": "inválido", "invalida": "inválida",
    "invalidos": "inválidos", "invalidas": "inválidas", "valido": "válido", "valida": "válida",
    "buzon": "buzón", "telefono": "teléfono", "telefonico": "telefónico", "despues": "después",
    "tambien": "también", "mas": "más", "decimo": "décimo", "septimo": "séptimo",
    "undecimo": "undécimo", "duodecimo": "duodécimo", "vigesimo": "vigésimo",
    "trigesimo": "trigésimo", "proximo": "próximo", "proxima": "próxima", "codigo": "código",
    "util": "útil", "unico": "único", "unica": "única", "sera": "será", "tendra": "tendrá",
    "unira": "unirá", "uniran": "unirán", "intentare": "intentaré", "guiare": "guiaré",
    "lider": "líder", "linea": "línea", "sabado": "sábado", "miercoles": "miércoles",
    "japon": "Japón", "dolar": "dólar", "dolares": "dólares", "digitos": "dígitos",
    "numerico": "numérico", "rapidamente": "rápidamente", "fisico": "físico",
    "tecnica": "técnica", "estandar": "estándar", "proposito": "propósito",
    "minimos": "mínimos", "millon": "millón", "manana": "mañana", "vacias": "vacías",
    "estan": "están", "esten": "estén", "veintitres": "veintitrés", "veintidos": "veintidós",
    "veintiseis": "veintiséis", "dieciseis": "dieciséis", "aqui": "aquí", "asi": "así",
    "facil": "fácil", "pagina": "página", "electronico": "electrónico",
    "automaticamente": "automáticamente", "ningun": "ningún", "algun": "algún",
}
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÑáéíóúñü]+")
_SUFFIX = re.compile(r"([cs])ion$")


def _restore(word: str) -> str:
    low = word.lower()
    fixed = WORDS.get(low)
    if fixed is None:
        fixed = _SUFFIX.sub(lambda m: m.group(1) + "ión", low) if low.isascii() else low
    if fixed == low:
        return word
    if word[:1].isupper():
        fixed = fixed[:1].upper() + fixed[1:]
    return fixed


def restore_accents(text: str) -> str:
    """``text`` with the accents of the common unaccented Spanish words put back (module doc)."""
    return _WORD.sub(lambda m: _restore(m.group(0)), text)
