"""Statistics shared by reports: pure functions of plain numbers (no Flask, no database).

- ``agreement``: Cohen's and Fleiss' kappa (the same module as h13's on main: the lead keeps one).
"""
