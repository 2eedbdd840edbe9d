"""The digest (sammanställning): counting, laying out, and the XLSX/DOCX/Markdown files."""
