from rest_framework import serializers

from jobs.models import Job


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField(source="error_code")
    detail = serializers.CharField(source="error_detail")
    errors = serializers.JSONField()


class JobSerializer(serializers.ModelSerializer):
    progress = JobProgressSerializer(source="*")
    error = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "progress", "result", "error", "attempts", "created_at", "started_at",
                  "finished_at"]
        read_only_fields = fields  # output only: every field is always in the body

    def get_error(self, job: Job) -> dict | None:
        return JobErrorSerializer(job).data if job.state == Job.State.FAILED else None
