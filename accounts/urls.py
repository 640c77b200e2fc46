from django.urls import path

import submissions.converters  # noqa: F401  (registers the <id:…> converter)

from .views import invitations, profile, staff, teams, twofactor

app_name = "accounts"

urlpatterns = [
    path("invitations/<str:token>/", invitations.accept, name="invitation"),
    # The person's own account.
    path("accounts/profile/", profile.profile, name="profile"),
    path("accounts/profile/email/", profile.email_change, name="email-change"),
    path("accounts/profile/email/<str:token>/", profile.email_confirm, name="email-confirm"),
    path("accounts/two-factor/", twofactor.overview, name="two-factor"),
    path("accounts/two-factor/enrol/", twofactor.enrol, name="two-factor-enrol"),
    path("accounts/two-factor/verify/", twofactor.verify, name="two-factor-verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        twofactor.renew_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("accounts/two-factor/remove/", twofactor.remove, name="two-factor-remove"),
    # Secretariat teams.
    path("my/teams/<slug:slug>/", teams.team, name="team"),
    path("my/teams/<slug:slug>/invite/", teams.invite, name="team-invite"),
    path("my/teams/<slug:slug>/hand-over/", teams.hand_over, name="team-hand-over"),
    path("my/teams/<slug:slug>/add/", teams.add_member, name="team-add"),
    path(
        "my/teams/<slug:slug>/members/<int:pk>/remove/", teams.remove_member, name="member-remove"
    ),
    path("my/teams/<slug:slug>/members/<int:pk>/lead/", teams.set_lead, name="member-lead"),
    path("my/invitations/<int:pk>/resend/", teams.resend_invitation, name="invitation-resend"),
    path("my/invitations/<int:pk>/revoke/", teams.revoke_invitation, name="invitation-revoke"),
    # IOM staff management (administrators).
    path("staff/", staff.home, name="staff"),
    path("staff/people/", staff.person_list, name="staff-people"),
    path("staff/people/<int:pk>/", staff.person_detail, name="staff-person"),
    path("staff/people/<int:pk>/memberships/", staff.membership_add, name="staff-membership-add"),
    path("staff/people/<int:pk>/assignments/", staff.assignment_add, name="staff-assignment-add"),
    path("staff/people/<int:pk>/active/", staff.person_active, name="staff-person-active"),
    path(
        "staff/people/<int:pk>/two-factor/",
        staff.person_second_factor_reset,
        name="staff-person-two-factor",
    ),
    path(
        "staff/assignments/<int:pk>/remove/",
        staff.assignment_remove,
        name="staff-assignment-remove",
    ),
    path("staff/regions/", staff.region_list, name="staff-regions"),
    path("staff/regions/<int:pk>/assign/", staff.region_assign, name="staff-region-assign"),
    path("staff/iscms/", staff.iscm_list, name="staff-iscms"),
    path("staff/invitations/", staff.invitation_list, name="staff-invitations"),
    path("staff/invitations/new/", staff.invitation_new, name="staff-invitation-new"),
    path("staff/audit/", staff.audit, name="staff-audit"),
    path("staff/emails/", staff.email_list, name="staff-emails"),
    path("staff/emails/<id:pk>/send-again/", staff.email_send_again, name="staff-email-again"),
]
