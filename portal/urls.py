from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from apis import portal_urls as api_portal_urls
from content import portal_urls as content_portal_urls
from groups import urls as group_urls
from management_api.views import console as api_console
from portal.forms import SetPasswordByLinkForm
from portal.views import (
    account,
    approvals,
    console,
    history,
    invitations,
    jobs,
    retention,
    signup,
)
from portal.views import portal as portal_views
from products import urls as product_urls
from scim.views import console as scim_console
from sso import views as sso_views
from subscriptions import urls as subscription_urls
from subscriptions.views import account as account_views
from subscriptions.views import console as subscription_console
from subscriptions.views import gateway

# The developer portal: its shell and sign-in here, the pages of each
# domain from the app that owns it, all under one namespace.
portal_patterns = (
    [
        path("", portal_views.landing, name="landing"),
        *product_urls.portal_urlpatterns,
        *api_portal_urls.urlpatterns,
        *subscription_urls.portal_urlpatterns,
        *group_urls.portal_urlpatterns,
        *content_portal_urls.urlpatterns,
        path(
            "signin/",
            account.SignInView.as_view(),
            name="login",
        ),
        path("signout/", auth_views.LogoutView.as_view(), name="logout"),
        path("signin-sso/", account.signin_sso, name="signin_sso"),
        path("signin/oidc/", sso_views.start, name="oidc_start"),
        path("signin/oidc/callback/", sso_views.callback, name="oidc_callback"),
        path("signup/", signup.signup_page, name="signup"),
        path("signup/sent/", signup.signup_sent, name="signup_sent"),
        path("signup/confirm/<str:token>/", signup.signup_confirm, name="signup_confirm"),
        path(
            "password/reset/",
            account.PasswordResetView.as_view(),
            name="password_reset",
        ),
        path(
            "password/reset/sent/",
            auth_views.PasswordResetDoneView.as_view(),
            name="password_reset_done",
        ),
        path(
            "password/set/<uidb64>/<token>/",
            auth_views.PasswordResetConfirmView.as_view(
                form_class=SetPasswordByLinkForm,
                success_url=reverse_lazy("portal:password_reset_complete"),
            ),
            name="password_reset_confirm",
        ),
        path(
            "password/set/done/",
            auth_views.PasswordResetCompleteView.as_view(),
            name="password_reset_complete",
        ),
        path("invitation/<str:token>/", invitations.accept, name="invitation"),
        path("health/", portal_views.health, name="health"),
    ],
    "portal",
)

console_patterns = (
    [
        path("", console.console_home, name="home"),
        path("approvals/", approvals.inbox, name="approvals"),
        path("jobs/", jobs.job_list, name="jobs"),
        path("jobs/<uuid:pk>/", jobs.job_detail, name="job"),
        path("jobs/<uuid:pk>/retry/", jobs.job_retry, name="job_retry"),
        path("settings/", subscription_console.subscription_settings, name="settings"),
        path("settings/signup/", signup.signup_settings, name="signup_settings"),
        path("settings/activity/", retention.retention_settings, name="activity_retention"),
        path(
            "settings/identity-provider/",
            sso_views.provider_settings,
            name="identity_provider",
        ),
        path("settings/tokens/", api_console.token_list, name="tokens"),
        path("settings/tokens/<int:pk>/revoke/", api_console.token_revoke, name="token_revoke"),
        path("settings/scim/", scim_console.token_list, name="scim_tokens"),
        path("settings/scim/<int:pk>/revoke/", scim_console.token_revoke, name="scim_token_revoke"),
        path("users/", console.user_list, name="users"),
        path("users/new/", console.user_create, name="user_create"),
        path("users/invite/", invitations.invite, name="invite"),
        path("users/invitations/", invitations.invitation_list, name="invitations"),
        path(
            "users/invitations/<int:pk>/resend/",
            invitations.invitation_resend,
            name="invitation_resend",
        ),
        path(
            "users/invitations/<int:pk>/revoke/",
            invitations.invitation_revoke,
            name="invitation_revoke",
        ),
        path("users/<int:pk>/", console.user_detail, name="user_detail"),
        path("users/<int:pk>/access-as-of/", history.user_as_of, name="user_as_of"),
        path("users/<int:pk>/groups/add/", console.user_add_groups, name="user_add_groups"),
        path("users/<int:pk>/block/", console.user_block, name="user_block"),
        path("users/<int:pk>/unblock/", console.user_unblock, name="user_unblock"),
        path("users/<int:pk>/approve/", signup.user_approve, name="user_approve"),
        path("users/<int:pk>/delete/", account_views.user_delete, name="user_delete"),
        path(
            "users/<int:pk>/signin-pause/lift/",
            console.user_lift_signin_pause,
            name="user_lift_signin_pause",
        ),
        path("view-as/", console.view_as_start, name="view_as"),
        path("view-as/stop/", console.view_as_stop, name="view_as_stop"),
    ],
    "console",
)

urlpatterns = [
    path("console/groups/", include("groups.urls")),
    path("console/products/", include("products.urls")),
    path("console/subscriptions/", include("subscriptions.urls")),
    path("console/", include("apis.urls")),
    path("console/", include("content.urls")),
    path("console/activity/", include("audit.urls")),
    path("console/reviews/", include("reviews.urls")),
    path("gateway/check", gateway.check, name="gateway_check"),
    path("console/", include(console_patterns)),
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim.urls")),
    path("", include("management_api.urls")),
    path("", include(portal_patterns)),
]

handler500 = "portal.views.errors.server_error"
