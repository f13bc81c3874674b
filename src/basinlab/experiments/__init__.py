"""basinlab.experiments"""
