"""basinlab.measures"""
