from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes many files at once (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".mp3,.wav,.m4a,audio/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        clean_one = super().clean
        if isinstance(data, (list, tuple)):
            return [clean_one(item, initial) for item in data]
        return [clean_one(data, initial)]


class AudioUploadForm(forms.Form):
    files = MultipleFileField(label="Audio files", allow_empty_file=True,
                              help_text="MP3, WAV or M4A; select as many as you like.")


class CsvUploadForm(forms.Form):
    file = forms.FileField(label="CSV or XLSX file", allow_empty_file=True, widget=forms.ClearableFileInput(
        attrs={"accept": ".csv,text/csv,.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))
