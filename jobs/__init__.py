"""Background work: RQ jobs, periodic scans and the scheduler process."""
