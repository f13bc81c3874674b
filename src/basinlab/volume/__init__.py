"""basinlab.volume"""
