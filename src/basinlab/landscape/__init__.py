"""basinlab.landscape"""
