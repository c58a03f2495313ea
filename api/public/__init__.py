"""The public pages (一公开): published plans, draws and results, search, downloads, verification guide."""
