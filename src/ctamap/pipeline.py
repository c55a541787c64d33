"""read → mask → scan → classify, once per file, for every command that looks at templates.

A file that cannot be processed becomes an error record; the other files still run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ctamap import collector, source
from ctamap.classify import Classifier, Template
from ctamap.config import Config
from ctamap.errors import InputError
from ctamap.scan import scan
from ctamap.walk import TemplateFile


class Loaded(NamedTuple):
    """The templates that could be read, and an error for each one that could not."""

    templates: tuple[tuple[TemplateFile, Template], ...]
    errors: tuple[InputError, ...]
    failed: tuple[TemplateFile, ...] = ()  # the files the errors are about, in order


def load_one(file: TemplateFile, classifier: Classifier) -> Template:
    config = classifier.config
    src = source.read(
        file.path,
        file.display,
        syntax=config.template_syntax,
        is_text=file.is_text,
        max_bytes=config.max_file_bytes,
    )
    return classifier.classify(scan(src))


def load(files: Iterable[TemplateFile], config: Config) -> Loaded:
    classifier = Classifier(config)
    templates: list[tuple[TemplateFile, Template]] = []
    errors: list[InputError] = []
    failed: list[TemplateFile] = []
    with collector.paused():  # every template stays alive: the heap only grows
        for file in files:
            try:
                templates.append((file, load_one(file, classifier)))
            except InputError as error:
                errors.append(error)
                failed.append(file)
    return Loaded(tuple(templates), tuple(errors), tuple(failed))
