"""The admin's "Forgotten your password?" for staff: Django's signed-link views, mailed by a worker.

Django's tokens are HMACs of the password hash and last login (nothing stored; a password
change or a sign-in ends them) that expire after PASSWORD_RESET_TIMEOUT. Only active staff
with a password get a mail; the page answers the same for any address.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import path, reverse_lazy

from accounts import services
from core.api.ratelimit import limit_form_posts
from core.mail import compose


class StaffPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        return (user for user in super().get_users(email) if user.is_staff)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        mail = compose(to=to_email, subject_template=subject_template_name, text_template=email_template_name,
                       html_template=html_email_template_name, context=context)
        services.queue_mail(mail=mail, kind="staff_password_reset")


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("admin_password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.staff_password_was_reset(user=form.user)
        return response


urlpatterns = [
    path("password_reset/", limit_form_posts(auth_views.PasswordResetView.as_view(
        form_class=StaffPasswordResetForm, success_url=reverse_lazy("admin_password_reset_done")),
        scope="password_reset"), name="admin_password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="admin_password_reset_done"),
    path("reset/<uidb64>/<token>/", StaffPasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="admin_password_reset_complete"),
]
