"""The registry (一单两库): enterprises (inspection objects), inspectors, and random-check matters."""
