"""Tags inside the episode files: title, show, author, artwork, and chapters (ID3 CHAP/CTOC)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mutagen.id3 as id3
from mutagen.mp4 import MP4, MP4Cover


@dataclass
class EpisodeTags:
    title: str
    show: str
    author: str | None = None
    artwork: Path | None = None


def tag_mp3(path: Path, tags: EpisodeTags, chapters: list[dict] | None = None) -> None:
    frames = id3.ID3()
    frames.add(id3.TIT2(encoding=3, text=tags.title))
    frames.add(id3.TALB(encoding=3, text=tags.show))
    frames.add(id3.TCON(encoding=3, text="Podcast"))
    if tags.author:
        frames.add(id3.TPE1(encoding=3, text=tags.author))
    if tags.artwork and tags.artwork.is_file():
        mime = "image/png" if tags.artwork.suffix.lower() == ".png" else "image/jpeg"
        frames.add(id3.APIC(encoding=3, mime=mime, type=3, desc="Cover", data=tags.artwork.read_bytes()))
    if chapters:
        ids = [f"chp{number}" for number in range(len(chapters))]
        frames.add(id3.CTOC(element_id="toc", flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                            child_element_ids=ids, sub_frames=[id3.TIT2(encoding=3, text="Chapters")]))
        for element_id, chapter in zip(ids, chapters):
            start_ms = int(chapter["startTime"] * 1000)
            end_ms = int(chapter.get("endTime", chapter["startTime"]) * 1000)
            frames.add(id3.CHAP(element_id=element_id, start_time=start_ms, end_time=end_ms,
                                sub_frames=[id3.TIT2(encoding=3, text=chapter["title"])]))
    frames.save(str(path))


def tag_m4a(path: Path, tags: EpisodeTags) -> None:
    file = MP4(str(path))
    file["\xa9nam"], file["\xa9alb"], file["\xa9gen"] = [tags.title], [tags.show], ["Podcast"]
    if tags.author:
        file["\xa9ART"] = [tags.author]
    if tags.artwork and tags.artwork.is_file():
        kind = MP4Cover.FORMAT_PNG if tags.artwork.suffix.lower() == ".png" else MP4Cover.FORMAT_JPEG
        file["covr"] = [MP4Cover(tags.artwork.read_bytes(), imageformat=kind)]
    file.save()
