"""Statistics shared by reports: agreement between raters (``agreement``)."""
