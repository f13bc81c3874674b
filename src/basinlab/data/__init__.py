"""basinlab.data"""
