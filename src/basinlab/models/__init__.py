"""basinlab.models"""
