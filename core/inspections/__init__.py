"""Random-check plans (抽查计划), their frozen populations, draws, and the inspection tasks they create."""
