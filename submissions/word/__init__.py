"""Word round trip: a cycle's outline as a .docx template, a filled template imported into
a draft, and any input (a submitted version or the live draft) exported as .docx.

One document structure serves all three; python-docx writes it and the reader reads it
back:

- a title block. Everything before the first section heading is never imported;
- each outline section as a "Heading 1" paragraph "<number>. <title>", then its
  guidance and word limit in the "Portal Guidance" style, then the text;
- in the objectives section, one table per round table (under a "Heading 2"): columns
  objective, progress, practices, challenges; one row per objective, whose first cell
  starts with a check box and the objective's number. The template lists all
  objectives, an export the ones the input reports;
- in the principles section, a check list of the guiding principles before the text;
- after the sections, "Formats, priorities and challenges" with a check list each.

One module per job; the views (`submissions.views.word`) import from the modules
directly, and this package re-exports nothing:

- `common` — the style, check-box glyphs, instructions and list headings (in every
  language), the reference lists and XML names that writer and reader share;
- `writer` — `outline_template` and `input_document`;
- `safety` — `open_word_file`, the hostile-file gate (`WordFileRefused`);
- `text` — Word paragraphs, runs, styles and lists to the Markdown subset;
- `reader` — `read_word_file`: headings to sections, tables to objectives, boxes to
  lists;
- `import_plan` — the preview (`plan_import`, the signed `sign_content` /
  `load_content`) and the confirmation (`apply_import`).

Imports run one way: writer → common; reader → safety, text → common; import_plan →
common.
"""
