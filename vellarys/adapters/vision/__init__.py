"""Text in pictures: local OCR."""
