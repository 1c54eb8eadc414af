from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFound


class JobNotFound(NotFound):
    code = "job_not_found"
    detail = _("No such job.")
