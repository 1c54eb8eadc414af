from core.exceptions import NotFound


class JobNotFound(NotFound):
    code = "job_not_found"
    detail = "No such job."
