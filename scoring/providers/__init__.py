"""Speech providers: one interface (`base`), an offline engine (`local`), Azure (`azure`)."""
