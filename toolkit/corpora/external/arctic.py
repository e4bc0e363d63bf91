"""CMU ARCTIC (Kominek & Black 2003): US English read speech, ~1130 prompts per speaker.

Layout as distributed (one folder per speaker, several may sit side by side)::

    ROOT/cmu_us_slt_arctic/wav/arctic_a0001.wav        16 kHz mono
    ROOT/cmu_us_slt_arctic/etc/txt.done.data           ( arctic_a0001 "Author of the ..." )

``ROOT`` may also be one speaker folder itself. Speakers are named by the
folder (``slt``, ``bdl``, ``awb``, ...), keys are ``arctic-<spk>-<prompt>``,
the language is ``en``. Licence: free for any use (see each folder's COPYING).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolkit.corpora.external.tts_common import write_tts_datadir
from toolkit.errors import UserError

LINE = re.compile(r'^\(\s*(\S+)\s+"(.*)"\s*\)\s*$')


def prepare(path: str | Path, dst: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """Write a tts data directory (wav.scp, text, utt2spk, utt2lang) for CMU ARCTIC at ``path``."""
    src = Path(path)
    speakers = sorted(p for p in [src, *src.glob("cmu_*_arctic")]
                      if (p / "etc" / "txt.done.data").is_file())
    if not speakers:
        raise UserError(f"{src} holds no CMU ARCTIC speaker (expected cmu_us_<spk>_arctic/etc/"
                        "txt.done.data and wav/)")
    items = []
    for folder in speakers:
        spk = folder.name.split("_")[2] if folder.name.startswith("cmu_") else folder.name
        for line in (folder / "etc" / "txt.done.data").read_text(encoding="utf-8").splitlines():
            m = LINE.match(line.strip())
            if m and (folder / "wav" / f"{m.group(1)}.wav").is_file():
                items.append((f"arctic-{spk}-{m.group(1)}", folder / "wav" / f"{m.group(1)}.wav",
                              m.group(2), spk, "en"))
    return write_tts_datadir(dst, items, {"corpus": "cmu_arctic", "source": str(src)}, overwrite)
