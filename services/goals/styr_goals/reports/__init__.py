"""The follow-up as a committee document: accessible PDF and DOCX."""
