"""libespeak-ng through ctypes: phonemes, voices and synthesis with phone events.

Uses the system library (Debian ``libespeak-ng1`` + ``espeak-ng-data``) and
falls back to the copy inside the PyPI package ``espeakng-loader`` when the
system one is missing (or when ``SPTK_ESPEAK=loader``). The library keeps one
global state, so this module keeps one initialized instance per process and a
lock around every call.

Initialization asks for synchronous output (the synth callback receives the
samples), phoneme events and IPA phoneme names. Facts this code relies on
(checked with espeak-ng 1.51):

- Output is 22050 Hz, 16-bit mono.
- ``espeakEVENT_PHONEME`` (type 7) carries the phone in ``id.string`` (up to 8
  UTF-8 bytes, not NUL-terminated when it fills them) and ``sample``, the
  output sample where the phone starts, counted from the start of the
  ``espeak_Synth`` call. Pauses are phoneme events with an empty name.
- ``espeakEVENT_WORD`` (type 1) comes before its word's phone events; its own
  ``sample`` is earlier than the first phone's.
- Voice names are voice-file names (``en``, ``fr``, ``en-us``, ``pt-br``,
  ``roa/fr``); ``fr-fr`` is a language code, resolved through the voice list.
- Synthesizing the same sentence twice in one process is not bit-identical;
  the same calls in the same order in a fresh process are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from dataclasses import dataclass

import numpy as np

from toolkit.errors import UserError

SAMPLE_RATE = 22050
AUDIO_OUTPUT_SYNCHRONOUS = 2
INIT_PHONEME_EVENTS, INIT_PHONEME_IPA, INIT_DONT_EXIT = 0x1, 0x2, 0x8000
CHARS_UTF8, POS_CHARACTER = 1, 1
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_PHONEME = 0, 1, 2, 5, 7
PHONEMES_IPA = 0x02
SEPARATOR = "\x1f"  # between phones in espeak_TextToPhonemes output; never in a phone name


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p),
                ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Event:
    """One synthesis event: ``kind`` is ``phone`` or ``word``; ``sample`` at 22050 Hz."""

    kind: str
    sample: int
    name: str = ""
    text_position: int = 0


@dataclass(frozen=True)
class VoiceInfo:
    """A voice of the voice list: name, language codes and voice-file identifier."""

    name: str
    languages: tuple[str, ...]
    identifier: str


class Espeak:
    """The process-wide libespeak-ng instance (use :func:`espeak`)."""

    def __init__(self) -> None:
        self.lib, self.origin = _load_library()
        self.lock = threading.RLock()
        self.voice: str | None = None
        self._samples: list[np.ndarray] = []
        self._events: list[Event] = []
        self._callback = _SYNTH_CALLBACK(self._on_synth)  # keep a reference alive
        lib = self.lib
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int,
                                              ctypes.c_int]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_SetSynthCallback(self._callback)
        self.version = (lib.espeak_Info(None) or b"unknown").decode()
        self.voices = self._list_voices()

    def _on_synth(self, wav, n, events) -> int:
        if wav and n > 0:
            self._samples.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == EVENT_PHONEME:
                name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                self._events.append(Event("phone", ev.sample, name))
            elif ev.type == EVENT_WORD:
                self._events.append(Event("word", ev.sample, text_position=ev.text_position))
            i += 1
        return 0

    def _list_voices(self) -> list[VoiceInfo]:
        out = []
        array = self.lib.espeak_ListVoices(None)
        i = 0
        while array[i]:
            v = array[i].contents
            langs, off = [], 0
            while v.languages:
                priority = ctypes.string_at(v.languages + off, 1)[0]
                if priority == 0:
                    break
                code = ctypes.string_at(v.languages + off + 1)
                langs.append(code.decode())
                off += len(code) + 2
            out.append(VoiceInfo(v.name.decode(), tuple(langs), v.identifier.decode()))
            i += 1
        return out

    def resolve(self, voice: str) -> str:
        """A name ``espeak_SetVoiceByName`` accepts for a voice or language code.

        ``fr``, ``en-us``, ``roa/fr`` pass through; a language code of the voice
        list (``fr-fr``) maps to its voice file. A ``+variant`` suffix is kept.

        Raises:
            UserError: espeak-ng knows no such voice or language.
        """
        base, plus, variant = voice.partition("+")
        key = base.lower()
        for v in self.voices:
            names = {v.identifier.lower(), v.identifier.rsplit("/", 1)[-1].lower()}
            if key in names:
                return voice
        for v in self.voices:
            if key in (code.lower() for code in v.languages):
                return v.identifier + plus + variant
        raise UserError(f"espeak-ng has no voice or language '{voice}'; see the known ones with: "
                        "sptk-cli corpus espeak --list-voices")

    def set_voice(self, voice: str) -> None:
        """Select a voice (resolved with :meth:`resolve`)."""
        with self.lock:
            if voice == self.voice:
                return
            name = self.resolve(voice)
            if self.lib.espeak_SetVoiceByName(name.encode()) != 0:
                raise UserError(f"espeak-ng cannot load voice '{voice}' ({name}); see the known "
                                "ones with: sptk-cli corpus espeak --list-voices")
            self.voice = voice

    def text_to_phonemes(self, text: str, voice: str) -> list[str]:
        """IPA phonemes of ``text``, one string per clause.

        Words are separated by spaces and phones within a word by
        :data:`SEPARATOR`; stress marks precede the stressed vowel; language
        switches appear as ``(en)`` tokens.
        """
        with self.lock:
            self.set_voice(voice)
            buf = ctypes.create_string_buffer(text.encode("utf-8"))
            ptr = ctypes.c_void_p(ctypes.addressof(buf))
            mode = PHONEMES_IPA | (ord(SEPARATOR) << 8)
            clauses = []
            while ptr.value:
                out = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), CHARS_UTF8, mode)
                clauses.append((out or b"").decode("utf-8", "replace"))
            return clauses

    def synthesize(self, text: str, voice: str) -> tuple[np.ndarray, list[Event]]:
        """Speak ``text``: int16 samples at 22050 Hz ``(samples,)`` and the events."""
        with self.lock:
            self.set_voice(voice)
            self._samples, self._events = [], []
            data = text.encode("utf-8")
            self.lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8,
                                  None, None)
            self.lib.espeak_Synchronize()
            audio = (np.concatenate(self._samples) if self._samples
                     else np.zeros(0, dtype=np.int16))
            return audio.astype(np.int16), list(self._events)


def _load_library() -> tuple[ctypes.CDLL, str]:
    """Load and initialize libespeak-ng: the system one, else espeakng-loader's."""
    tried = []
    candidates = []
    if os.environ.get("SPTK_ESPEAK", "") != "loader":
        system = ctypes.util.find_library("espeak-ng")
        if system:
            candidates.append((system, None, "system"))
    try:
        import espeakng_loader

        candidates.append((espeakng_loader.get_library_path(),
                           espeakng_loader.get_data_path(), "espeakng-loader"))
    except ImportError:
        tried.append("espeakng-loader (not installed)")
    options = INIT_PHONEME_EVENTS | INIT_PHONEME_IPA | INIT_DONT_EXIT
    for path, data, origin in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            tried.append(path)
            continue
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                     data.encode() if data else None, options)
        if rate == SAMPLE_RATE:
            return lib, origin
        tried.append(f"{path} (initialize returned {rate})")
    raise UserError("libespeak-ng not found or not usable (tried: "
                    f"{', '.join(tried) or 'nothing'}); install it with "
                    "apt-get install -y espeak-ng libespeak-ng1, or pip install espeakng-loader")


_INSTANCE: list[Espeak] = []
_INSTANCE_LOCK = threading.Lock()


def espeak() -> Espeak:
    """The process-wide :class:`Espeak` (initialized on first use)."""
    with _INSTANCE_LOCK:
        if not _INSTANCE:
            _INSTANCE.append(Espeak())
        return _INSTANCE[0]
