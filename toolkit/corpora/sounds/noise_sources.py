"""Where the recorded noises come from, and which noise type each file gets.

Four Debian packages (main) hold real recorded sounds: game sound effects,
voice packs and music, and a desktop sound theme. Each source lists the folders
it scans; a file's *virtual path* is ``<prefix>/<path under the folder>``
without extension, lower case (``sfx/voices/default/amazing``), and the first
rule whose regular expression matches it gives the noise type. A rule with type
``None`` skips the file.

Noise types (a small set, so that "source" and "target" noise sets for domain
adaptation can be made disjoint by type):

=========  ==============================================================
ambient    environmental beds: birds, night, fire, water, wind, insects
machine    engines, motors, jets, drills, electric drones, factory hum
impact     transients: hits, explosions, gunshots, steps, throws, bangs
alert      signals: beeps, chimes, jingles, notification and UI sounds
vocal      non-speech vocalisations: screams, growls, grunts, laughter
voice      short spoken phrases (game voice packs, speaker-test words)
music      music tracks and long musical phrases
white      procedural white Gaussian noise
pink       procedural pink noise (-3 dB/octave)
brown      procedural brown noise (-6 dB/octave)
hum        procedural 50/60 Hz mains hum with harmonics
fan        procedural fan/ventilation noise with blade-pass tone
babble     several talkers from a speech data directory (``--babble-from``)
=========  ==============================================================

Colobot's effects are numbered files (``sound000.wav`` ...); their content is
the game's ``SoundType`` enumeration (``src/sound/sound_type.h`` in the colobot
sources: 6 = wheeled-bot engine, 76 = thunder, ...), which the table below
groups by type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TYPES: dict[str, str] = {
    "ambient": "environmental beds: birds, night, fire, water, wind, insects",
    "machine": "engines, motors, jets, drills, electric drones",
    "impact": "transients: hits, explosions, gunshots, steps, throws, bangs",
    "alert": "beeps, chimes, jingles, notification and UI sounds",
    "vocal": "non-speech vocalisations: screams, growls, grunts, laughter",
    "voice": "short spoken phrases (game voice packs, speaker-test words)",
    "music": "music tracks and long musical phrases",
    "white": "procedural white Gaussian noise",
    "pink": "procedural pink noise (-3 dB/octave)",
    "brown": "procedural brown noise (-6 dB/octave)",
    "hum": "procedural 50/60 Hz mains hum with harmonics",
    "fan": "procedural fan/ventilation noise with blade-pass tone",
    "babble": "several talkers mixed, from a speech data directory (--babble-from)",
}
PROCEDURAL_TYPES = ("white", "pink", "brown", "hum", "fan")
AUDIO_EXTENSIONS = (".ogg", ".oga", ".wav", ".flac")


@dataclass(frozen=True)
class RecordedSource:
    """A Debian package of recorded sounds and how to label its files."""

    name: str
    package: str
    folders: tuple[tuple[str, str], ...]  # (absolute folder, virtual prefix)
    rules: tuple[tuple[str, str | None], ...]  # (regex on the virtual path, type)
    default_type: str
    licence: str
    description: str
    compiled: list = field(default_factory=list, compare=False, repr=False)

    def classify(self, virtual_path: str) -> str | None:
        """The noise type of a file (None: skip it)."""
        if not self.compiled:
            self.compiled.extend((re.compile(rx), t) for rx, t in self.rules)
        for rx, kind in self.compiled:
            if rx.search(virtual_path):
                return kind
        return self.default_type


def _colobot_rules() -> tuple[tuple[str, str | None], ...]:
    groups = {
        "machine": [3, 4, 6, 7, 8, 10, 11, 15, 16, 17, 18, 19, 23, 24, 30, 32, 38, 39, 40, 44,
                    46, 47, 48, 51, 65, 71, 74, 81],
        "alert": [0, 9, 14, 22, 29, 31, 41, 52, 61, 62, 64, 68, 72, 73, 82],
        "vocal": [20, 26, 33, 34, 35, 36, 37, 63, 66, 69, 70],
        "ambient": [12, 13, 21, 27, 28, 67, 76],
    }  # every other number is an impact (bangs, explosions, shots, steps)
    rules: list[tuple[str, str | None]] = [(r"^music/", "music")]
    for kind, numbers in groups.items():
        alt = "|".join(f"{n:03d}" for n in numbers)
        rules.append((rf"^sfx/sound({alt})$", kind))
    return tuple(rules)


_CREATURES = ("bat|drake|dwarf|elf|ghoul|goblin|gryphon|horse|human|lich|mermaid|mermen|naga|"
              "ogre|orc|troll|tusker|wolf|wose|yeti|zombie")

SOURCES: dict[str, RecordedSource] = {
    "hedgewars": RecordedSource(
        name="hedgewars", package="hedgewars-data",
        folders=(("/usr/share/games/hedgewars/Data/Sounds", "sfx"),
                 ("/usr/share/games/hedgewars/Data/Music", "music")),
        rules=(
            (r"^music/", "music"),
            (r"^sfx/voices/", "voice"),
            (r"^sfx/ride_of_the_valkyries$", "music"),
            (r"^sfx/(hell_|hellish|hogchant|kiss|yoohoo|rubberduck_die)", "vocal"),
            (r"^sfx/([1-9][a-g]|beep|countdown\d|denied|extratime|skip|suddendeath|switchhog|"
             r"placed|collectcrate|invulnerable|whistle|homerun|lasersight)$", "alert"),
            (r"^sfx/(jetpackboost|plane|planewater|rcplane|drillgun|blowtorch|flamethrower|"
             r"minigun|ufo|steam|landgun|lowgravity|ice_beam|ice_beam_idle|sinegun|tardis|"
             r"pickhammer)$", "machine"),
            (r"^sfx/(bee|beewater|splash|droplet\d|birdylay|parachute)$", "ambient"),
        ),
        default_type="impact",
        licence="Data/Sounds: GFDL-1.3 (Droplet*.ogg: CC-BY-SA-3.0); Data/Music: GPL-2 "
                "(per-track authors in Data/Music/credits.txt); "
                "see /usr/share/doc/hedgewars-data/copyright",
        description="Hedgewars game: effects, 15 voice packs, music"),
    "wesnoth": RecordedSource(
        name="wesnoth", package="wesnoth-1.16-data",
        folders=(("/usr/share/games/wesnoth/1.16/data/core/sounds", "core"),
                 ("/usr/share/games/wesnoth/1.16/sounds", "ui")),
        rules=(
            (r"^core/ambient/wardrums$", "music"),
            (r"^core/ambient/", "ambient"),
            (r"^core/horn-signals/", "alert"),
            (r"^ui/", "alert"),
            (r"^core/(fanfare|gold|heal|potion)", "alert"),
            (rf"^core/({_CREATURES})-(die|hit|growl|shriek|laugh|attack)", "vocal"),
            (r"^core/(groan|ugg|wail|hiss|dwarf-laugh)", "vocal"),
            (r"^core/(fire|torch)$", "ambient"),
        ),
        default_type="impact",
        licence="GPL-2+; see /usr/share/doc/wesnoth-1.16-data/copyright",
        description="Battle for Wesnoth: weapons, magic, creatures, ambience, UI"),
    "colobot": RecordedSource(
        name="colobot", package="colobot-common-sounds",
        folders=(("/usr/share/games/colobot/sounds", "sfx"),
                 ("/usr/share/games/colobot/music", "music")),
        rules=_colobot_rules(), default_type="impact",
        licence="GPL-3+; see /usr/share/doc/colobot-common-sounds/copyright",
        description="Colobot game: robots, engines, aliens, explosions, 21 music tracks"),
    "freedesktop": RecordedSource(
        name="freedesktop", package="sound-theme-freedesktop",
        folders=(("/usr/share/sounds/freedesktop/stereo", "theme"),),
        rules=((r"^theme/audio-test-signal$", None),  # a test noise, not a recording
               (r"^theme/audio-channel-", "voice")),
        default_type="alert",
        licence="per file CC-BY-SA-3.0, CC-BY-3.0, GPL-2+ or GPL-2; "
                "see /usr/share/doc/sound-theme-freedesktop/copyright",
        description="freedesktop.org sound theme: desktop alerts, speaker-test words"),
}
GENERATED_LICENCE = "generated by sptk-cli (no third-party content)"


def virtual_path(prefix: str, relative: str) -> str:
    """``prefix/relative`` without extension, lower case, '/' separators."""
    stem = relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative
    return f"{prefix}/{stem}".lower()


def key_slug(path: str) -> str:
    """A key-safe form of a virtual path (``sfx/voices/x`` -> ``sfx.voices.x``)."""
    return re.sub(r"[^a-z0-9._-]", "_", path.replace("/", "."))
