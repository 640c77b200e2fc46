from django.urls import path

from . import converters  # noqa: F401  (registers the <id:…> converter)
from .views import compare, secretariat, word

app_name = "submissions"

urlpatterns = [
    # Secretariats
    path("my/", secretariat.dashboard, name="dashboard"),
    path("my/inputs/new/", secretariat.input_create, name="input-create"),
    path("my/inputs/<id:pk>/", secretariat.input_detail, name="input-detail"),
    path("my/inputs/<id:pk>/edit/", secretariat.input_edit, name="input-edit"),
    path("my/inputs/<id:pk>/details/", secretariat.input_details, name="input-details"),
    path("my/inputs/<id:pk>/preview/", secretariat.input_preview, name="input-preview"),
    path("my/inputs/<id:pk>/diff/", secretariat.input_diff, name="input-diff"),
    path("my/inputs/<id:pk>/compare/", compare.input_compare, name="input-compare"),
    path("my/iscms/<slug:slug>/compare/", compare.iscm_compare, name="compare"),
    path(
        "my/iscms/<slug:slug>/compare/objective/<id:number>/",
        compare.iscm_compare_objective,
        name="compare-objective",
    ),
    path(
        "my/iscms/<slug:slug>/compare/section/<slug:key>/",
        compare.iscm_compare_section,
        name="compare-section",
    ),
    path("my/inputs/<id:pk>/pdf/", secretariat.input_pdf_download, name="input-pdf"),
    path("my/inputs/<id:pk>/import/", word.input_import, name="input-import"),
    path("my/inputs/<id:pk>/import/apply/", word.input_import_apply, name="input-import-apply"),
    path("my/cycles/<slug:slug>/template.docx", word.cycle_template, name="cycle-template"),
    path("my/inputs/<id:pk>/submit/", secretariat.input_submit, name="input-submit"),
    path("my/inputs/<id:pk>/withdraw/", secretariat.input_withdraw, name="input-withdraw"),
    path("my/inputs/<id:pk>/consent/", secretariat.input_consent, name="input-consent"),
    path(
        "my/inputs/<id:pk>/attachments/",
        secretariat.attachment_upload,
        name="attachment-upload",
    ),
    path(
        "my/inputs/<id:pk>/attachments/<id:attachment_pk>/delete/",
        secretariat.attachment_delete,
        name="attachment-delete",
    ),
    # Any input the person may see (secretariats, reviewers, compilers, administrators).
    path("inputs/<id:pk>/export.docx", word.input_docx, name="input-docx"),
    path(
        "attachments/<id:attachment_pk>/",
        secretariat.attachment_download,
        name="attachment-download",
    ),
]
